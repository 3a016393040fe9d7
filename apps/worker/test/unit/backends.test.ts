import { ConfigError, RouteError, resolveKqConf, silentLogger } from '@tasks/core';
import { describe, expect, it } from 'vitest';
import { createKafkaBackend } from '../../src/backends/kafka-backend.js';
import { createMemoryBackend } from '../../src/backends/memory-backend.js';
import type { WorkerConfig } from '../../src/config/load-config.js';

const config: WorkerConfig = {
  name: 'worker',
  taskRoute: { order: 'orders' },
  kafkaConf: [resolveKqConf({ brokers: ['127.0.0.1:1'], group: 'g', topic: 'orders' })],
  telemetry: undefined,
  spell: (path) => path,
};

describe('worker backends refuse misuse with TasksErrors', () => {
  it('the in-memory backend rejects an unrouted task key with a RouteError, as the Kafka pusher does', async () => {
    const backend = createMemoryBackend({ config, pushMiddleware: [] });
    const failure = await backend.pushTask('refund', 'k', 'v', {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RouteError);
    // Not a key of the route, even though every object has one by that name.
    await expect(backend.pushTask('constructor', 'k', 'v', {})).rejects.toThrow(RouteError);
    expect((failure as RouteError).problems).toEqual([
      {
        path: 'taskRoute.refund',
        message: expect.stringContaining('no topic for task key "refund"'),
      },
    ]);
    await backend.close();
  });

  it('the Kafka backend refuses a config with no KafkaConf entry with a ConfigError', () => {
    expect(() =>
      createKafkaBackend(
        { config: { ...config, kafkaConf: [] }, pushMiddleware: [] },
        silentLogger,
      ),
    ).toThrow(ConfigError);
  });
});
