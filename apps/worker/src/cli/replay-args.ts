import { parseArgs } from 'node:util';
import type { ReplayFilter } from '@tasks/core';
import { UsageError } from './args.js';

export interface ReplayArgs {
  /** The dead-letter topic to replay. */
  readonly topic: string;
  readonly config: string;
  readonly filter: ReplayFilter;
  readonly dryRun: boolean;
  readonly help: boolean;
}

/** The help text of `replay`; `defaultConfig` is the file read when `--config` is not given. */
export const replayUsage = (
  defaultConfig: string,
): string => `Usage: node scripts/start.mjs replay <dead-letter-topic> [options]

Sends the dead letters of <dead-letter-topic> back to the topics they came
from, with their original key, value and headers (the tasks.dlq.* headers
stripped) and tasks.replay.count one higher, so a fixed task can finish them.
It reads each partition up to its end when the replay starts and remembers
nothing: a second run sends the same letters again (narrow it with --since).
Prints one JSON line per letter on stdout, then a summary line.

Options:
  --task <key>        only letters of this task key (repeatable)
  --error <name>      only letters whose last error has this name, e.g. NonRetriableError (repeatable)
  --since <time>      only letters that failed at or after <time> (ISO 8601, or ms since the epoch)
  --until <time>      only letters that failed before <time>
  --dry-run           print what would be sent; send nothing
  --config <file>     brokers and credentials from the file's first KafkaConf
                      (default: ${defaultConfig}); KAFKA_BROKERS, KAFKA_USERNAME
                      and KAFKA_PASSWORD override them
  -h, --help          show this text

Exit codes: 0 done, 1 Kafka failed (unreachable, refused), 2 a mistake in the
arguments or the configuration (the topic does not exist, a time that is not one).
`;

function time(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `--${name} must be an ISO 8601 time (2026-12-01T10:00:00Z) or ms since the epoch, got "${raw}"`,
    );
  }
  return ms;
}

/** Parses the arguments after `replay`. */
export function parseReplayArgs(argv: readonly string[], defaultConfig: string): ReplayArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  if (positionals.length > 1) {
    throw new UsageError(`replay takes one dead-letter topic, got ${positionals.join(' ')}`);
  }
  const topic = positionals[0];
  if (topic === undefined && !help) throw new UsageError('replay needs the dead-letter topic');
  if (topic !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw new UsageError(`the topic must be 1-249 characters of [a-zA-Z0-9._-], got "${topic}"`);
  }
  const since = time('since', values.since);
  const until = time('until', values.until);
  if (since !== undefined && until !== undefined && until <= since) {
    throw new UsageError('--until must be after --since');
  }
  const filter: ReplayFilter = {
    ...(values.task ? { taskKeys: values.task } : {}),
    ...(values.error ? { errorNames: values.error } : {}),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
  return {
    topic: topic ?? '',
    config: values.config ?? defaultConfig,
    filter,
    dryRun: values['dry-run'] ?? false,
    help,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      task: { type: 'string', multiple: true },
      error: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
