import { pushRoutes, RouteError } from '@tasks/core';
import { composePush } from '@tasks/core/transport';
import { FakeBroker } from '@tasks/testing';
import type { Backend, BackendOptions } from './backend.js';

/** Partitions of each demo topic on the in-memory broker. */
const partitions = 4;

/** The in-memory broker from `@tasks/testing`: no Kafka needed. */
export function createMemoryBackend({ config, pushMiddleware }: BackendOptions): Backend {
  const broker = new FakeBroker({ brokers: config.kafkaConf[0]?.brokers ?? [] });
  // Both route forms: gopkg's "<topic>.<group>": taskKey entries read back as key -> topic.
  const route = pushRoutes(config.taskRoute, config.kafkaConf);
  for (const topic of new Set(Object.values(route))) {
    broker.createTopic(topic, { partitions });
  }
  const send = composePush(pushMiddleware, (message) => broker.send(message));
  return {
    name: 'memory',
    transport: broker.transport(),
    pushTask(taskKey, key, value, headers) {
      const topic = Object.hasOwn(route, taskKey) ? route[taskKey] : undefined;
      if (topic === undefined) {
        // The same error `TaskPusher` raises on Kafka.
        const routed = Object.keys(route).join(', ');
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
