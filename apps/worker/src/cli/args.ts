import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export interface WorkerArgs {
  readonly config: string;
  /** Tasks the demo producer pushes at start; 0 pushes none. */
  readonly demo: number;
  /** Of those, how many carry a broken payload. */
  readonly demoInvalid: number;
  /** Stop once every pushed task settled, and print the JSON summary. */
  readonly exitWhenIdle: boolean;
  readonly transport: 'memory' | 'kafka';
  /** How long start may wait for the brokers, in ms; undefined waits as long as it takes. */
  readonly startTimeoutMs: number | undefined;
  readonly help: boolean;
  /** Worker processes to run in one group; above 1 this process supervises them. */
  readonly processes: number;
  /** Set in a child of `--processes`: its index (from `WORKER_PROCESS_INDEX`). */
  readonly processIndex: number | undefined;
}

/** The environment variable that gives a child of `--processes` its index. */
export const processIndexEnv = 'WORKER_PROCESS_INDEX';

/** `--exit-when-idle` without `--start-timeout`: a script never hangs on a wrong address. */
export const exitWhenIdleStartTimeoutS = 30;

/** The help text; `defaultConfig` is the file read when `--config` is not given. */
export const usage = (
  defaultConfig: string,
): string => `Usage: node scripts/start.mjs [options]   (or: pnpm start -- [options])
       node scripts/start.mjs replay <dead-letter-topic> [options]   (replay --help for its options)

Options:
  --config <file>        worker configuration (default: ${defaultConfig})
  --demo <n>             push n demo tasks at start (default: 100; none with --processes)
  --demo-invalid <n>     make the last n demo tasks invalid (default: 0)
  --exit-when-idle       exit once every demo task settled; print a JSON summary on stdout
  --transport <name>     memory (default) or kafka (the default when KAFKA_BROKERS is set)
  --start-timeout <s>    fail (exit 1) if the brokers are not joined within s seconds
                         (default: no limit; 30 with --exit-when-idle)
  --processes <n|auto>   run n worker processes in one group under a supervisor
                         (env WORKER_PROCESSES; default: 1; auto: one per core);
                         needs Kafka, refuses --demo and --exit-when-idle
  -h, --help             show this text
`;

export class UsageError extends Error {}

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`--${name} must be a whole number >= 0, got "${raw}"`);
  return value;
}

/** `--processes` (or `WORKER_PROCESSES`): a whole number >= 1, or `auto` (one per core). */
function processCount(name: string, raw: string | undefined, cores: () => number): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return cores();
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 1)
    throw new UsageError(`${name} must be a whole number >= 1 or "auto", got "${raw}"`);
  return value;
}

export function parseWorkerArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaultConfig: string,
  cores: () => number = availableParallelism,
): WorkerArgs {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const transport = values.transport ?? (env.KAFKA_BROKERS ? 'kafka' : 'memory');
  if (transport !== 'memory' && transport !== 'kafka') {
    throw new UsageError(`--transport must be "memory" or "kafka", got "${transport}"`);
  }
  const rawIndex = env[processIndexEnv];
  const processIndex = rawIndex === undefined || rawIndex === '' ? undefined : Number(rawIndex);
  const processes =
    processIndex !== undefined
      ? 1
      : values.processes !== undefined
        ? processCount('--processes', values.processes, cores)
        : processCount('WORKER_PROCESSES', env.WORKER_PROCESSES, cores);
  const several = processes > 1 || processIndex !== undefined;
  const demo = count('demo', values.demo, several ? 0 : 100);
  const demoInvalid = count('demo-invalid', values['demo-invalid'], 0);
  if (demoInvalid > demo) throw new UsageError('--demo-invalid cannot exceed --demo');
  const exitWhenIdle = values['exit-when-idle'] ?? false;
  const help = values.help ?? false;
  if (processes > 1 && !help) refuseWithProcesses(transport, demo, exitWhenIdle);
  const rawTimeout = values['start-timeout'];
  let startTimeoutMs: number | undefined;
  if (rawTimeout !== undefined) {
    const seconds = Number(rawTimeout);
    if (!(Number.isFinite(seconds) && seconds > 0)) {
      throw new UsageError(`--start-timeout must be a number of seconds > 0, got "${rawTimeout}"`);
    }
    startTimeoutMs = Math.round(seconds * 1000);
  } else if (exitWhenIdle) {
    startTimeoutMs = exitWhenIdleStartTimeoutS * 1000;
  }
  return {
    config: values.config ?? defaultConfig,
    demo,
    demoInvalid,
    exitWhenIdle,
    transport,
    startTimeoutMs,
    help,
    processes,
    processIndex,
  };
}

/** What cannot mean what it says with several processes. */
function refuseWithProcesses(transport: string, demo: number, exitWhenIdle: boolean): void {
  if (transport === 'memory') {
    throw new UsageError(
      '--processes needs --transport kafka (or KAFKA_BROKERS): each process would have its own in-memory broker',
    );
  }
  if (demo > 0 || exitWhenIdle) {
    throw new UsageError(
      '--processes cannot be combined with --demo or --exit-when-idle: their progress and summary are per process',
    );
  }
}

/** The arguments a child of `--processes` gets: the same, without `--processes`. */
export function childArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--processes') i += 1;
    else if (!arg.startsWith('--processes=')) out.push(arg);
  }
  return out;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      demo: { type: 'string' },
      'demo-invalid': { type: 'string' },
      'exit-when-idle': { type: 'boolean' },
      transport: { type: 'string' },
      'start-timeout': { type: 'string' },
      processes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
