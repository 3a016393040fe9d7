import { RouteError } from '@tasks/core';
import { composePush } from '@tasks/core/transport';
import { FakeBroker } from '@tasks/testing';
import type { Backend, BackendOptions } from './backend.js';

/** Partitions of each demo topic on the in-memory broker. */
const partitions = 4;

/** The in-memory broker from `@tasks/testing`: no Kafka needed. */
export function createMemoryBackend({ config, pushMiddleware }: BackendOptions): Backend {
  const broker = new FakeBroker({ brokers: config.kafkaConf[0]?.brokers ?? [] });
  for (const topic of new Set(Object.values(config.taskRoute))) {
    broker.createTopic(topic, { partitions });
  }
  const send = composePush(pushMiddleware, (message) => broker.send(message));
  return {
    name: 'memory',
    transport: broker.transport(),
    pushTask(taskKey, key, value, headers) {
      const topic = Object.hasOwn(config.taskRoute, taskKey)
        ? config.taskRoute[taskKey]
        : undefined;
      if (topic === undefined) {
        // The same error `TaskPusher` raises on Kafka.
        const routed = Object.keys(config.taskRoute).join(', ');
        return Promise.reject(
          new RouteError([
            {
              path: `taskRoute.${taskKey}`,
              message: `no topic for task key "${taskKey}" (routed: ${routed})`,
            },
          ]),
        );
      }
      return send({ topic, key, value, headers: { ...headers } });
    },
    async close() {},
  };
}
