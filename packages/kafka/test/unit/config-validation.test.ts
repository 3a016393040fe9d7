import { ConfigError, ErrorCodes, isTasksError, type KqConf } from '@tasks/core';
import { KafkaPusher, KafkaTransport, TaskPusher } from '@tasks/kafka';
import { describe, expect, it } from 'vitest';

const good: KqConf = { brokers: ['127.0.0.1:9092'], group: 'g', topic: 't' };
const handler = async () => {};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(isTasksError(error)).toBe(true);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCodes.ConfigInvalid);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function paths(error: ConfigError): string[] {
  return error.problems.map((p) => p.path);
}

describe('KafkaTransport.subscribe validates each conf field before connecting', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['brokers missing', { brokers: [] }, 'kafkaConf[0].brokers', 'host:port'],
    ['broker without port', { brokers: ['localhost'] }, 'kafkaConf[0].brokers[0]', '"localhost"'],
    ['group empty', { group: '' }, 'kafkaConf[0].group', 'non-empty'],
    ['topic with a space', { topic: 'a b' }, 'kafkaConf[0].topic', '"a b"'],
    ['offset unknown', { offset: 'middle' }, 'kafkaConf[0].offset', '"middle"'],
    ['conns zero', { conns: 0 }, 'kafkaConf[0].conns', 'got 0'],
    ['consumers fractional', { consumers: 1.5 }, 'kafkaConf[0].consumers', 'got 1.5'],
    ['processors negative', { processors: -1 }, 'kafkaConf[0].processors', 'got -1'],
    ['minBytes text', { minBytes: '10' }, 'kafkaConf[0].minBytes', '"10"'],
    ['maxBytes below minBytes', { minBytes: 100, maxBytes: 10 }, 'kafkaConf[0].maxBytes', '100'],
    ['maxWaitMs negative', { maxWaitMs: -5 }, 'kafkaConf[0].maxWaitMs', 'got -5'],
    [
      'caFile missing on disk',
      { caFile: '/nonexistent/ca.pem' },
      'kafkaConf[0].caFile',
      'does not exist',
    ],
    ['username without password', { username: 'u' }, 'kafkaConf[0].password', 'go together'],
    ['forceCommit not boolean', { forceCommit: 'yes' }, 'kafkaConf[0].forceCommit', '"yes"'],
    ['unknown field', { partitions: 3 }, 'kafkaConf[0].partitions', 'unknown field'],
  ];
  for (const [name, patch, path, says] of cases) {
    it(name, () => {
      const transport = new KafkaTransport({ logger: undefined });
      const error = configError(() =>
        transport.subscribe({ ...good, ...patch } as unknown as KqConf, handler),
      );
      expect(paths(error)).toContain(path);
      const problem = error.problems.find((p) => p.path === path)!;
      expect(problem.message).toContain(says);
      expect(error.message).toContain(path);
    });
  }

  it('accepts go-zero PascalCase keys', () => {
    const transport = new KafkaTransport();
    const conf = { Brokers: ['127.0.0.1:9092'], Group: 'g', Topic: 't', Processors: 4 };
    expect(() => transport.subscribe(conf as unknown as KqConf, handler)).not.toThrow();
  });

  it('applies KAFKA_BROKERS from `env` before validating', () => {
    const transport = new KafkaTransport({ env: { KAFKA_BROKERS: 'not-an-address' } });
    const error = configError(() => transport.subscribe(good, handler));
    expect(paths(error)).toEqual(['kafkaConf[0].brokers[0]']);
  });

  it('never echoes the password when it is invalid', () => {
    const transport = new KafkaTransport();
    const error = configError(() =>
      transport.subscribe({ ...good, username: 'u', password: 42 } as unknown as KqConf, handler),
    );
    expect(paths(error)).toContain('kafkaConf[0].password');
    expect(error.message).not.toContain('42');
  });
});

describe('KafkaTransport options', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['sessionTimeoutMs zero', { sessionTimeoutMs: 0 }, 'kafkaTransport.sessionTimeoutMs'],
    [
      'heartbeat not below session',
      { sessionTimeoutMs: 6000, heartbeatIntervalMs: 6000 },
      'kafkaTransport.heartbeatIntervalMs',
    ],
    ['commitIntervalMs text', { commitIntervalMs: '1s' }, 'kafkaTransport.commitIntervalMs'],
    [
      'rebalanceTimeoutMs negative',
      { rebalanceTimeoutMs: -1 },
      'kafkaTransport.rebalanceTimeoutMs',
    ],
    ['revokeGraceMs negative', { revokeGraceMs: -1 }, 'kafkaTransport.revokeGraceMs'],
    [
      'revokeGraceMs not below rebalanceTimeoutMs',
      { revokeGraceMs: 10_000, rebalanceTimeoutMs: 10_000 },
      'kafkaTransport.revokeGraceMs',
    ],
    [
      'reconnect cap below start',
      { reconnect: { initialDelayMs: 1000, maxDelayMs: 10 } },
      'kafkaTransport.reconnect.maxDelayMs',
    ],
    [
      'createTopics partitions 0',
      { createTopics: { partitions: 0, replicationFactor: 1 } },
      'kafkaTransport.createTopics.partitions',
    ],
    ['createTopics not an object', { createTopics: true }, 'kafkaTransport.createTopics'],
    ['kafkaLogLevel unknown', { kafkaLogLevel: 'loud' }, 'kafkaTransport.kafkaLogLevel'],
    ['clientId empty', { clientId: '' }, 'kafkaTransport.clientId'],
    [
      'clientRetry.retries negative',
      { clientRetry: { retries: -1 } },
      'kafkaTransport.clientRetry.retries',
    ],
  ];
  for (const [name, options, path] of cases) {
    it(name, () => {
      const error = configError(() => new KafkaTransport(options as never));
      expect(paths(error)).toContain(path);
    });
  }

  it('lists every problem at once', () => {
    const error = configError(
      () => new KafkaTransport({ sessionTimeoutMs: -1, commitIntervalMs: 0 } as never),
    );
    expect(paths(error)).toEqual(
      expect.arrayContaining([
        'kafkaTransport.sessionTimeoutMs',
        'kafkaTransport.commitIntervalMs',
      ]),
    );
  });
});

describe('pusher options', () => {
  const base = { brokers: ['127.0.0.1:9092'], topic: 'orders' };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['brokers bad', { brokers: ['nope'] }, 'kafkaPusher.brokers[0]'],
    ['topic bad', { topic: 'a/b' }, 'kafkaPusher.topic'],
    ['chunkSize zero', { chunkSize: 0 }, 'kafkaPusher.chunkSize'],
    ['flushIntervalMs negative', { flushIntervalMs: -1 }, 'kafkaPusher.flushIntervalMs'],
    ['acks 2', { acks: 2 }, 'kafkaPusher.acks'],
    ['middleware not functions', { middleware: ['x'] }, 'kafkaPusher.middleware'],
    ['password without username', { password: 'p' }, 'kafkaPusher.username'],
  ];
  for (const [name, patch, path] of cases) {
    it(name, () => {
      const error = configError(() => new KafkaPusher({ ...base, ...patch } as never));
      expect(paths(error)).toContain(path);
    });
  }

  it('TaskPusher checks every route topic', () => {
    const error = configError(
      () => new TaskPusher({ brokers: ['127.0.0.1:9092'], route: { ok: 'fine', bad: 'no way' } }),
    );
    expect(paths(error)).toEqual(['taskPusher.route.bad']);
  });

  it('TaskPusher needs a route', () => {
    const error = configError(() => new TaskPusher({ brokers: ['127.0.0.1:9092'], route: {} }));
    expect(paths(error)).toEqual(['taskPusher.route']);
  });
});
