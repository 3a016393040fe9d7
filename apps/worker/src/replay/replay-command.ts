import { ConfigError, ErrorCodes, isTasksError, type Logger } from '@tasks/core';
import { replayDeadLetters } from '@tasks/kafka';
import type { ReplayArgs } from '../cli/replay-args.js';
import { loadWorkerConfig } from '../config/load-config.js';

/**
 * `replay <dead-letter-topic>`: sends the letters back with `@tasks/kafka`'s
 * `replayDeadLetters`, with the brokers and credentials of the conf whose
 * dead-letter topic it is (else the file's first conf). One JSON line per
 * letter, then the summary, on stdout.
 */
export async function runReplay(
  args: ReplayArgs,
  logger: Logger,
  write: (line: string) => void,
): Promise<void> {
  const config = loadWorkerConfig(args.config);
  const conf =
    config.kafkaConf.find((c) => c.deadLetter.topic === args.topic) ?? config.kafkaConf[0];
  if (!conf) {
    throw new ConfigError([{ path: 'KafkaConf', message: 'must list at least one consumer' }]);
  }
  const result = await replayDeadLetters({
    brokers: conf.brokers,
    ...(conf.caFile === undefined ? {} : { caFile: conf.caFile }),
    ...(conf.username === undefined ? {} : { username: conf.username, password: conf.password }),
    ...(conf.compression === undefined ? {} : { compression: conf.compression }),
    topic: args.topic,
    filter: args.filter,
    dryRun: args.dryRun,
    logger,
    onLetter: (entry) => write(JSON.stringify(entry)),
  }).catch((error: unknown) => {
    // The topic named on the command line: the user's to fix, like any argument.
    if (isTasksError(error) && error.code === ErrorCodes.TopicNotFound) {
      throw new ConfigError(
        [{ path: 'replay <dead-letter-topic>', message: error.message }],
        `cannot replay "${args.topic}"`,
      );
    }
    throw error;
  });
  write(JSON.stringify({ summary: result }));
}
