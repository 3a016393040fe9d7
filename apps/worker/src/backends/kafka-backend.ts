import { ConfigError, type Logger, pushRoutes } from '@tasks/core';
import { KafkaTransport, TaskPusher } from '@tasks/kafka';
import type { Backend, BackendOptions } from './backend.js';

/** Partitions of each demo topic when the worker creates it. */
const topicPartitions = 4;

/** Real Kafka through `@tasks/kafka`; topics are created when missing. */
export function createKafkaBackend(
  { config, pushMiddleware }: BackendOptions,
  logger: Logger,
): Backend {
  const first = config.kafkaConf[0];
  if (!first) {
    throw new ConfigError([{ path: 'KafkaConf', message: 'must list at least one consumer' }]);
  }
  const createTopics = { partitions: topicPartitions, replicationFactor: 1 };
  const transport = new KafkaTransport({ createTopics, logger });
  const pusher = new TaskPusher({
    brokers: first.brokers,
    ...(first.caFile === undefined ? {} : { caFile: first.caFile }),
    ...(first.username === undefined ? {} : { username: first.username, password: first.password }),
    ...(first.compression === undefined ? {} : { compression: first.compression }),
    // Both route forms: gopkg's "<topic>.<group>": taskKey entries read back as key -> topic.
    route: pushRoutes(config.taskRoute, config.kafkaConf),
    middleware: pushMiddleware,
    createTopics,
    flushIntervalMs: 10,
    logger,
  });
  return {
    name: 'kafka',
    transport,
    pushTask: (taskKey, key, value, headers) => pusher.pushTask(taskKey, value, { key, headers }),
    close: () => pusher.close(),
  };
}
