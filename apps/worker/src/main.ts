import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ConfigProblem,
  createConsoleLogger,
  ErrorCodes,
  isTasksError,
  newTaskServer,
  newTaskServerCtx,
  pushRoutes,
  ShutdownError,
  type TaskServer,
  type TaskServerPlugin,
  withFuncRegister,
  withKafkaConf,
  withObject,
  withTaskRoute,
} from '@tasks/core';
import type { Backend } from './backends/backend.js';
import { createBackend } from './backends/create-backend.js';
import { childArgs, parseWorkerArgs, processIndexEnv, UsageError, usage } from './cli/args.js';
import { parseReplayArgs, replayUsage } from './cli/replay-args.js';
import { loadWorkerConfig, type WorkerConfig } from './config/load-config.js';
import { type DemoTask, demoBatch } from './demo/demo-batch.js';
import { forkWorkers } from './procs/fork-workers.js';
import { runReplay } from './replay/replay-command.js';
import { exitGuard } from './run/exit-guard.js';
import { DemoProgress } from './run/progress.js';
import { RunTally } from './run/run-tally.js';
import { setupWorkerTracing } from './run/tracing.js';
import { registerTasks } from './tasks/register.js';
import { Ledger, type WorkerServices } from './tasks/services.js';

const defaultConfig = fileURLToPath(new URL('../etc/worker.yaml', import.meta.url));
/** The default config as the user would type it from where they are. */
const shownDefault = relative(process.cwd(), defaultConfig) || defaultConfig;

/** A child of `--processes` says which one it is on each of its status lines. */
const processIndex = process.env[processIndexEnv];
const prefix = processIndex ? `[process ${processIndex}] ` : '';
const status = (text: string) => process.stderr.write(`${prefix}${text}\n`);

// A child whose supervisor went away (even SIGKILLed) drains and exits, as on SIGTERM.
const onOrphaned = () => process.kill(process.pid, 'SIGTERM');
if (processIndex && process.connected) process.once('disconnect', onOrphaned);

/** Exit code for a configuration mistake (bad file, arguments, routes or registrations). */
const configMistake = 2;

/** Set once `main` settled: an exit before that is an exit with work pending. */
let settled = false;
/** Spells problem paths as the config file does, once it is loaded. */
let spell = (path: string) => path;

/** The help shown with a usage error: the replay command's once it was asked for. */
let help = usage;

async function main(argv: readonly string[]): Promise<number> {
  const rest = argv[0] === '--' ? argv.slice(1) : argv;
  if (rest[0] === 'replay') return replay(rest.slice(1));
  const args = parseWorkerArgs(argv, process.env, defaultConfig);
  if (args.help) {
    process.stdout.write(usage(shownDefault));
    return 0;
  }
  const config = loadWorkerConfig(args.config);
  spell = config.spell;
  if (args.processes > 1) {
    // The file was read once here, so a bad one exits 2 before any child starts.
    return forkWorkers(args.processes, fileURLToPath(import.meta.url), childArgs(rest), status);
  }
  const logger = createConsoleLogger({
    level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn',
  });
  const tracing = await setupWorkerTracing(config.telemetry, logger);
  const plugins: TaskServerPlugin[] = tracing ? [tracing] : [];
  let backend: Backend;
  try {
    backend = createBackend(
      args.transport,
      {
        config,
        pushMiddleware: plugins.flatMap((p) => (p.pushMiddleware ? [p.pushMiddleware] : [])),
      },
      logger,
    );
  } catch (error) {
    await tracing?.stop?.();
    throw error;
  }

  const server = newTaskServer(
    newTaskServerCtx(
      withTaskRoute(config.taskRoute),
      withKafkaConf(config.kafkaConf),
      withObject<WorkerServices>({ ledger: new Ledger() }),
      withFuncRegister(registerTasks),
    ),
    {
      transport: backend.transport,
      plugins,
      logger,
      retry: { maxAttempts: 3, initialDelayMs: 50 },
      ...(args.startTimeoutMs === undefined ? {} : { startTimeoutMs: args.startTimeoutMs }),
      onError: (error) =>
        logger.warn('task failed', { ...error.coordinates, reason: error.message }),
    },
  );
  // Every way out closes what was opened: the server (and with it the
  // consumers and the tracing plugin), then the producer side.
  let report: () => void;
  try {
    report = await runDemo(args, config, backend, server);
  } finally {
    try {
      await server.stop();
    } finally {
      await backend.close();
    }
  }
  report();
  return 0;
}

/** `replay <dead-letter-topic>`: see `replayUsage`. */
async function replay(argv: readonly string[]): Promise<number> {
  help = replayUsage;
  const args = parseReplayArgs(argv, defaultConfig);
  if (args.help) {
    process.stdout.write(replayUsage(shownDefault));
    return 0;
  }
  const logger = createConsoleLogger({
    level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn',
  });
  await runReplay(args, logger, (line) => process.stdout.write(`${line}\n`));
  return 0;
}

async function runDemo(
  args: ReturnType<typeof parseWorkerArgs>,
  config: WorkerConfig,
  backend: Backend,
  server: TaskServer<WorkerServices>,
): Promise<() => void> {
  const batch = demoBatch(args.demo, args.demoInvalid);
  // Both route forms, read as task key -> topic.
  const route = pushRoutes(config.taskRoute, config.kafkaConf);
  const consumed = new Set(config.kafkaConf.map((conf) => conf.topic));
  const elsewhere = batch.filter((task) => !isConsumed(route[task.taskKey], consumed));
  const runId = randomUUID();
  const progress = new DemoProgress(runId, batch.length - elsewhere.length, elsewhere.length);
  server.onRun(progress.observe);
  const tally = args.processIndex === undefined ? undefined : new RunTally();
  if (tally) server.onRun(tally.observe);
  // Before start(): a SIGTERM while the worker still joins its groups leaves them cleanly.
  // The library never exits the process; a second Ctrl-C exits here.
  const removeSignals = server.handleSignals({ onForce: () => process.exit(130) });
  try {
    return await demo(args, config, backend, server, {
      batch,
      route,
      elsewhere,
      runId,
      progress,
      tally,
    });
  } finally {
    removeSignals();
  }
}

async function demo(
  args: ReturnType<typeof parseWorkerArgs>,
  config: WorkerConfig,
  backend: Backend,
  server: TaskServer<WorkerServices>,
  run: {
    batch: readonly DemoTask[];
    route: Readonly<Record<string, string>>;
    elsewhere: readonly DemoTask[];
    runId: string;
    progress: DemoProgress;
    /** Set in a child of `--processes`: every run it settled, shown instead of the demo's. */
    tally: RunTally | undefined;
  },
): Promise<() => void> {
  const { batch, route, elsewhere, runId, progress, tally } = run;
  try {
    await server.start();
  } catch (error) {
    // A signal stopped the server while it joined: a clean stop, not a failure.
    if (!(error instanceof ShutdownError)) throw error;
  }
  if (server.state !== 'running') {
    await server.stopped();
    return () => status('stopped before the worker joined its groups');
  }
  status(
    tally
      ? `worker "${config.name}" running on ${backend.name}`
      : `worker "${config.name}" running on ${backend.name}; pushing ${args.demo} demo tasks`,
  );
  if (elsewhere.length > 0) {
    const topics = [...new Set(elsewhere.map((task) => route[task.taskKey]))];
    status(
      `${elsewhere.length} of them to ${topics.join(', ')}, which no consumer here reads: counted as pushed elsewhere`,
    );
  }
  await Promise.all(
    batch.map((task) =>
      backend.pushTask(task.taskKey, task.key, task.value, { 'x-demo-run': runId }),
    ),
  );

  if (args.exitWhenIdle) {
    await progress.done();
    return () => process.stdout.write(`${JSON.stringify(progress.summary(backend.name))}\n`);
  }

  // Progress while the batch runs; the timer also keeps the process alive until a signal.
  const shownProgress = tally ?? progress;
  let shown = -1;
  const ticker = setInterval(() => {
    if (shownProgress.settled === shown) return;
    shown = shownProgress.settled;
    status(shownProgress.line());
  }, 500);
  if (!tally) {
    progress.done().then(() => status(`${progress.line()} — demo batch done; Ctrl-C to stop`));
  }
  try {
    await server.stopped();
  } finally {
    clearInterval(ticker);
  }
  return () => status(`stopped: ${shownProgress.line()}`);
}

/** Whether a consumer of this process reads the topic a task is routed to. */
function isConsumed(topic: string | undefined, consumed: ReadonlySet<string>): boolean {
  // No route at all: pushing it fails with a RouteError, so it never needs counting.
  return topic === undefined || consumed.has(topic);
}

/** The error's message; a list of problems is shown with paths in the file's spelling. */
function describe(error: Error & { problems?: unknown }): string {
  const problems = error.problems;
  if (!Array.isArray(problems) || problems.length === 0) return error.message;
  const title = error.message.split('\n')[0] ?? error.message;
  const lines = (problems as ConfigProblem[]).map((p) => `  - ${spell(p.path)}: ${p.message}`);
  return [title, ...lines].join('\n');
}

/** Bad arguments, a bad file, routes or registrations that do not fit: the user's to fix. */
function isConfigMistake(error: unknown): boolean {
  return (
    isTasksError(error) &&
    (error.code === ErrorCodes.ConfigInvalid || error.code === ErrorCodes.RouteInvalid)
  );
}

process.on(
  'exit',
  exitGuard(
    () => settled,
    status,
    (code) => {
      process.exitCode = code;
    },
  ),
);

main(process.argv.slice(2))
  .then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      settled = true;
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n\n${help(shownDefault)}`);
        process.exitCode = configMistake;
      } else if (isTasksError(error) && error.code === ErrorCodes.ConfigInvalid) {
        process.stderr.write(`configuration error: ${error.message}\n`);
        process.exitCode = configMistake;
      } else if (isTasksError(error)) {
        process.stderr.write(`${error.name} [${error.code}]: ${describe(error)}\n`);
        process.exitCode = isConfigMistake(error) ? configMistake : 1;
      } else {
        process.stderr.write(
          `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        process.exitCode = 1;
      }
    },
  )
  .finally(() => {
    // The IPC channel would keep a child of `--processes` alive once its work is done.
    process.off('disconnect', onOrphaned);
    if (process.connected) process.disconnect();
  });
