import { fileURLToPath } from 'node:url';
import {
  applyKafkaEnv,
  ConfigError,
  defaultMaxUncommitted,
  ErrorCodes,
  kqConfDefaults,
  resolveKqConf,
  resolveKqConfs,
} from '@tasks/core';
import { describe, expect, it } from 'vitest';
// Internal: not part of the public API.
import { describeKqConf } from '../../src/conf/kq-conf.js';

const minimal = { brokers: ['localhost:9092'], group: 'g1', topic: 'orders' };
const thisFile = fileURLToPath(import.meta.url);
const secret = 'hunter2-Sup3rSecret!';

/** The ConfigError `resolve` throws; fails the test if it does not throw one. */
function configError(resolve: () => unknown): ConfigError {
  try {
    resolve();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

function problemAt(error: ConfigError, path: string): string {
  const found = error.problems.filter((p) => p.path === path);
  expect(found, `problems: ${JSON.stringify(error.problems)}`).toHaveLength(1);
  return found[0]!.message;
}

describe('resolveKqConf', () => {
  it('fills in the go-queue defaults', () => {
    expect(resolveKqConf(minimal)).toEqual({
      brokers: ['localhost:9092'],
      group: 'g1',
      topic: 'orders',
      offset: 'last',
      conns: 1,
      consumers: 8,
      processors: 8,
      minBytes: 10_240,
      maxBytes: 10_485_760,
      maxWaitMs: 1_000,
      forceCommit: true,
      commitInOrder: false,
      ordering: 'unordered',
      maxUncommitted: 10_000,
      taskTimeoutMs: 0,
      unwrapEnvelope: true,
      deadLetter: { enabled: true, topic: 'orders.dlq' },
    });
    expect(kqConfDefaults).toMatchObject({ offset: 'last', processors: 8, forceCommit: true });
  });

  it('keeps every value given', () => {
    const conf = resolveKqConf({
      ...minimal,
      caFile: thisFile,
      offset: 'first',
      conns: 2,
      consumers: 3,
      processors: 4,
      minBytes: 1,
      maxBytes: 2,
      maxWaitMs: 0,
      username: 'svc',
      password: secret,
      forceCommit: false,
      commitInOrder: true,
      unwrapEnvelope: false,
    });
    expect(conf).toMatchObject({
      caFile: thisFile,
      offset: 'first',
      conns: 2,
      consumers: 3,
      processors: 4,
      minBytes: 1,
      maxBytes: 2,
      maxWaitMs: 0,
      username: 'svc',
      password: secret,
      forceCommit: false,
      commitInOrder: true,
      unwrapEnvelope: false,
    });
  });

  it("accepts go-zero's PascalCase keys", () => {
    const conf = resolveKqConf({
      Brokers: ['k1:9092', 'k2:9093'],
      Group: 'billing',
      Topic: 'invoices',
      CaFile: thisFile,
      Offset: 'first',
      Conns: 2,
      Consumers: 4,
      Processors: 16,
      MinBytes: 100,
      MaxBytes: 200,
      Username: 'svc',
      Password: secret,
      ForceCommit: false,
      CommitInOrder: true,
      Ordering: 'key',
    });
    expect(conf).toMatchObject({
      brokers: ['k1:9092', 'k2:9093'],
      group: 'billing',
      topic: 'invoices',
      caFile: thisFile,
      offset: 'first',
      conns: 2,
      consumers: 4,
      processors: 16,
      minBytes: 100,
      maxBytes: 200,
      username: 'svc',
      password: secret,
      forceCommit: false,
      commitInOrder: true,
      ordering: 'key',
    });
  });

  it('bounds a partition ledger at 10000, or 32 per processor when that is more, unless MaxUncommitted says', () => {
    expect(resolveKqConf({ ...minimal, processors: 64 }).maxUncommitted).toBe(10_000);
    expect(resolveKqConf({ ...minimal, processors: 1_000 }).maxUncommitted).toBe(32_000);
    expect(defaultMaxUncommitted(313)).toBe(10_016);
    expect(resolveKqConf({ ...minimal, MaxUncommitted: 500 }).maxUncommitted).toBe(500);
    expect(resolveKqConf({ ...minimal, maxUncommitted: 1, processors: 8 }).maxUncommitted).toBe(1);
    // A resolved conf resolves to itself (the server re-checks what it is given).
    const resolved = resolveKqConf({ ...minimal, maxUncommitted: 77 });
    expect(resolveKqConf(resolved)).toEqual(resolved);
  });

  it('refuses a maxUncommitted that is not a whole number of at least 1, naming the field', () => {
    for (const bad of [0, -5, 2.5, '100', null]) {
      const error = configError(() => resolveKqConf({ ...minimal, MaxUncommitted: bad }));
      expect(error.code).toBe(ErrorCodes.ConfigInvalid);
      expect(problemAt(error, 'kafkaConf.maxUncommitted')).toBe(
        `must be a whole number of at least 1, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('rejects an ordering it does not know, listing the ones it does', () => {
    expect(() => resolveKqConf({ ...minimal, Ordering: 'keyed' })).toThrow(
      expect.objectContaining({
        problems: [
          {
            path: 'kafkaConf.ordering',
            message: 'must be one of "unordered", "partition", "key", got "keyed"',
          },
        ],
      }),
    );
  });

  it('splits and trims a comma separated broker string', () => {
    expect(resolveKqConf({ ...minimal, brokers: 'a:1, b:2 ,[::1]:9092' }).brokers).toEqual([
      'a:1',
      'b:2',
      '[::1]:9092',
    ]);
  });

  it.each([
    ['an empty broker list', { brokers: [] }, 'kafkaConf.brokers', /at least one.*got \[\]/],
    ['no brokers at all', { brokers: undefined }, 'kafkaConf.brokers', /got nothing/],
    ['a broker with no port', { brokers: ['ok:1', 'kafka'] }, 'kafkaConf.brokers[1]', /"kafka"/],
    ['a broker with a scheme', { brokers: ['tcp://k:9092'] }, 'kafkaConf.brokers[0]', /tcp:/],
    ['offset "middle"', { offset: 'middle' }, 'kafkaConf.offset', /"first" or "last".*"middle"/],
    ['processors 0', { processors: 0 }, 'kafkaConf.processors', /at least 1, got 0/],
    ['fractional conns', { conns: 1.5 }, 'kafkaConf.conns', /got 1.5/],
    ['consumers as a string', { consumers: '8' }, 'kafkaConf.consumers', /got "8"/],
    ['negative maxWaitMs', { maxWaitMs: -1 }, 'kafkaConf.maxWaitMs', /at least 0, got -1/],
    ['a non-boolean forceCommit', { forceCommit: 'yes' }, 'kafkaConf.forceCommit', /"yes"/],
    [
      'a caFile that does not exist',
      { caFile: '/nonexistent/ca.pem' },
      'kafkaConf.caFile',
      /"\/nonexistent\/ca.pem" does not exist/,
    ],
    ['an unknown key (typo)', { procesors: 4 }, 'kafkaConf.procesors', /unknown field/],
    ['an empty group', { group: '' }, 'kafkaConf.group', /non-empty string, got ""/],
    ['no topic', { topic: undefined }, 'kafkaConf.topic', /required/],
    ['a topic with a space', { topic: 'my topic' }, 'kafkaConf.topic', /"my topic"/],
    [
      'maxBytes below minBytes',
      { minBytes: 2048, maxBytes: 1024 },
      'kafkaConf.maxBytes',
      /at least minBytes \(2048\), got 1024/,
    ],
    [
      'a username without a password',
      { username: 'svc' },
      'kafkaConf.password',
      /set both or neither/,
    ],
    [
      'a password without a username',
      { password: secret },
      'kafkaConf.username',
      /set both or neither/,
    ],
  ])('rejects %s, naming the field and the value', (_label, patch, path, message) => {
    const error = configError(() => resolveKqConf({ ...minimal, ...patch }));
    expect(error.code).toBe(ErrorCodes.ConfigInvalid);
    expect(problemAt(error, path)).toMatch(message);
    expect(error.message).toContain(`${path}: `);
  });

  it('rejects something that is not an object', () => {
    for (const raw of [null, 'brokers=a:1', [minimal]]) {
      const error = configError(() => resolveKqConf(raw, 'conf'));
      expect(problemAt(error, 'conf')).toMatch(/must be an object/);
    }
  });

  it('lists every problem of one conf at once', () => {
    const error = configError(() =>
      resolveKqConf({
        Brokers: [],
        Group: 'g',
        Topic: 'bad topic',
        Offset: 'middle',
        Processors: 0,
        Username: 'svc',
        Extra: true,
      }),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(
      [
        'kafkaConf.Extra',
        'kafkaConf.brokers',
        'kafkaConf.offset',
        'kafkaConf.password',
        'kafkaConf.processors',
        'kafkaConf.topic',
      ].sort(),
    );
  });

  it('reports one problem per field, the first check that failed', () => {
    const error = configError(() => resolveKqConf({ ...minimal, conns: -1.5 }));
    expect(problemAt(error, 'kafkaConf.conns')).toBe(
      'must be a whole number of at least 1, got -1.5',
    );
  });

  it('reports the cross-field rules beside the per-field problems', () => {
    const error = configError(() =>
      resolveKqConf({ ...minimal, processors: 0, minBytes: 10, maxBytes: 5, username: 'svc' }),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(
      ['kafkaConf.maxBytes', 'kafkaConf.password', 'kafkaConf.processors'].sort(),
    );
  });

  it('checks that caFile exists even when other fields are wrong', () => {
    const error = configError(() => resolveKqConf({ ...minimal, caFile: '/nope.pem', conns: 0 }));
    expect(problemAt(error, 'kafkaConf.caFile')).toMatch(/"\/nope.pem" does not exist/);
  });

  it('reports an empty password once, as malformed, not as missing', () => {
    const error = configError(() => resolveKqConf({ ...minimal, username: 'svc', password: '' }));
    expect(error.problems).toEqual([
      { path: 'kafkaConf.password', message: 'must be a non-empty string' },
    ]);
  });

  it('never shows the password, whatever else is wrong', () => {
    const attempts: unknown[] = [
      { ...minimal, password: secret },
      { ...minimal, Password: secret, brokers: [], offset: 'middle' },
      { ...minimal, username: 'svc', password: secret, caFile: '/nope', processors: -1 },
      { ...minimal, username: 'svc', password: secret, pasword: secret },
      { ...minimal, username: secret, password: 42 },
      { ...minimal, username: 'svc', Password: [secret] },
    ];
    for (const raw of attempts) {
      const error = configError(() => resolveKqConf(raw));
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.problems)).not.toContain(secret);
    }
    const wrongType = configError(() => resolveKqConf({ ...minimal, username: 'u', password: 42 }));
    expect(problemAt(wrongType, 'kafkaConf.password')).toBe('must be a non-empty string');
  });
});

describe('resolveKqConfs', () => {
  it('resolves each conf', () => {
    const confs = resolveKqConfs([minimal, { ...minimal, topic: 'payments' }]);
    expect(confs.map((c) => c.topic)).toEqual(['orders', 'payments']);
  });

  it('collects the problems of every conf under indexed paths', () => {
    const error = configError(() =>
      resolveKqConfs([
        minimal,
        { ...minimal, offset: 'middle' },
        { ...minimal, brokers: ['nope'], processors: 0 },
        'not a conf',
      ]),
    );
    expect(error.problems.map((p) => p.path)).toEqual([
      'kafkaConf[1].offset',
      'kafkaConf[2].brokers[0]',
      'kafkaConf[2].processors',
      'kafkaConf[3]',
    ]);
    expect(error.message).toContain('kafkaConf[2].processors: must be a whole number');
  });

  it('uses the path prefix it is given', () => {
    const error = configError(() => resolveKqConfs([{ ...minimal, conns: 0 }], 'Kafka'));
    expect(error.problems[0]!.path).toBe('Kafka[0].conns');
  });
});

describe('applyKafkaEnv', () => {
  it('overrides brokers and credentials from the environment', () => {
    const conf = applyKafkaEnv(
      { ...minimal, username: 'a', password: 'b' },
      { KAFKA_BROKERS: ' k1:9092 , k2:9092,, ', KAFKA_USERNAME: 'env-user', KAFKA_PASSWORD: 'pw' },
    );
    expect(conf).toEqual({
      ...minimal,
      brokers: ['k1:9092', 'k2:9092'],
      username: 'env-user',
      password: 'pw',
    });
  });

  it('leaves the conf alone when the variables are unset or empty, and never mutates it', () => {
    const original = { ...minimal, username: 'a', password: 'b' };
    const snapshot = structuredClone(original);
    expect(applyKafkaEnv(original, {})).toEqual(snapshot);
    expect(applyKafkaEnv(original, { KAFKA_BROKERS: '  ', KAFKA_PASSWORD: '' })).toEqual(snapshot);
    const changed = applyKafkaEnv(original, { KAFKA_BROKERS: 'x:1' });
    expect(changed.brokers).toEqual(['x:1']);
    expect(original).toEqual(snapshot);
  });
});

describe('describeKqConf', () => {
  it('redacts the credentials and keeps the rest', () => {
    const conf = resolveKqConf({ ...minimal, username: 'svc', password: secret });
    const described = describeKqConf(conf);
    expect(described).toMatchObject({
      brokers: minimal.brokers,
      topic: 'orders',
      username: '[redacted]',
      password: '[redacted]',
    });
    expect(JSON.stringify(described)).not.toContain(secret);
    expect(describeKqConf(resolveKqConf(minimal))).not.toHaveProperty('password');
  });
});

describe('a go-zero KqConf block (it embeds service.ServiceConf)', () => {
  // A kq.KqConf as go-zero YAML carries it, parsed: every ServiceConf field beside kq's own.
  const goZeroBlock = {
    Name: 'order-consumer',
    Log: { ServiceName: 'order-consumer', Mode: 'console', Level: 'info' },
    Mode: 'pro',
    MetricsUrl: 'http://127.0.0.1:9091/metrics',
    Prometheus: { Host: '0.0.0.0', Port: 9101, Path: '/metrics' },
    Telemetry: { Name: 'order-consumer', Endpoint: 'http://jaeger:14268/api/traces', Sampler: 1 },
    DevServer: { Enabled: true, Port: 6470 },
    Brokers: ['127.0.0.1:9092'],
    Group: 'task-worker',
    Topic: 'order-tasks',
    Offset: 'first',
    Conns: 2,
    Consumers: 4,
    Processors: 16,
    MinBytes: 1024,
    MaxBytes: 2048000,
    ForceCommit: false,
    CommitInOrder: true,
  };

  it('loads unchanged, honouring the kq fields and listing the ServiceConf ones', () => {
    const conf = resolveKqConf(goZeroBlock);
    expect(conf).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      group: 'task-worker',
      topic: 'order-tasks',
      offset: 'first',
      conns: 2,
      consumers: 4,
      processors: 16,
      minBytes: 1024,
      maxBytes: 2048000,
      forceCommit: false,
      commitInOrder: true,
    });
    expect(conf.serviceFields).toEqual([
      'Name',
      'Log',
      'Mode',
      'MetricsUrl',
      'Prometheus',
      'Telemetry',
      'DevServer',
    ]);
  });

  it('resolves a resolved conf again to the same conf (the server re-checks what it is given)', () => {
    const conf = resolveKqConf(goZeroBlock);
    expect(resolveKqConf(conf)).toEqual(conf);
  });

  it('still refuses a typo, with a "did you mean" in the spelling used', () => {
    const error = configError(() => resolveKqConf({ ...goZeroBlock, CommitInOrdr: true }));
    expect(error.problems).toEqual([
      {
        path: 'kafkaConf.CommitInOrdr',
        message: expect.stringMatching(/^unknown field; did you mean "CommitInOrder"\?/),
      },
    ]);
    const camel = configError(() => resolveKqConf({ ...minimal, procesors: 4 }));
    expect(camel.problems[0]?.message).toMatch(/did you mean "processors"\?/);
    const telemetry = configError(() => resolveKqConf({ ...minimal, Telemtry: {} }));
    expect(telemetry.problems[0]?.message).toMatch(/did you mean "Telemetry"\?/);
  });

  it('gives no suggestion for a key nothing resembles', () => {
    const error = configError(() => resolveKqConf({ ...minimal, Zookeeper: 'x' }));
    expect(error.problems[0]?.message).not.toMatch(/did you mean/);
  });

  it('takes Compression for the pusher, and refuses an unknown codec', () => {
    expect(resolveKqConf({ ...minimal, Compression: 'zstd' }).compression).toBe('zstd');
    expect(resolveKqConf(minimal).compression).toBeUndefined();
    const error = configError(() => resolveKqConf({ ...minimal, compression: 'brotli' }));
    expect(error.problems).toEqual([
      { path: 'kafkaConf.compression', message: expect.stringMatching(/"snappy".*"brotli"/) },
    ]);
  });
});
