import { existsSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '../errors/index.js';
import { type Ordering, orderings } from '../transport/ordering.js';

export type StartOffset = 'first' | 'last';

/** Kafka's batch codecs, as a pusher's `compression` names them. */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const compressionNames: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * One consumer configuration, with go-queue's `kq.KqConf` fields in camelCase.
 * Only `brokers`, `group` and `topic` are required; see `kqConfDefaults` for the rest.
 */
export interface KqConf {
  brokers: readonly string[];
  group: string;
  topic: string;
  /** PEM file with the CA that signs the brokers' certificates; turns TLS on. */
  caFile?: string;
  /** Where a group with no committed offset starts reading. */
  offset?: StartOffset;
  /** Group members (connections) this conf opens. */
  conns?: number;
  /** Partitions fetched concurrently per member. */
  consumers?: number;
  /** Task runs in flight at once per member. */
  processors?: number;
  /** Smallest fetch the broker answers with, in bytes (it waits up to `maxWaitMs`). */
  minBytes?: number;
  /** Largest fetch, in bytes. */
  maxBytes?: number;
  /** Longest the broker holds a fetch waiting for `minBytes`. */
  maxWaitMs?: number;
  /** SASL/PLAIN user name; needs `password` too. */
  username?: string;
  password?: string;
  /** Commit past a message whose task failed for good (after the error handler saw it). */
  forceCommit?: boolean;
  /**
   * go-queue's `CommitInOrder`, accepted for compatibility. It changes no
   * concurrency: commits here always follow the watermark (only a contiguous
   * run of finished messages is committed), which is what go-queue's setting
   * is for. For one run at a time per partition, set `ordering: 'partition'`.
   */
  commitInOrder?: boolean;
  /** How runs may overlap: `unordered` (default), `partition` or `key` (see `Ordering`). */
  ordering?: Ordering;
  /**
   * Longest one attempt of a run may take, in ms (0: no limit). Past it the
   * run's `ctx.signal` fires with a `RunTimeoutError` and the attempt counts
   * as failed. A task registration's `timeoutMs` wins over it.
   */
  taskTimeoutMs?: number;
  /**
   * Unwrap the envelope Go `kqkafka` producers write
   * (`{"carrier":{...},"body":"..."}`) so the task receives `body`.
   */
  unwrapEnvelope?: boolean;
  /** Codec of the batches `newTaskPusher` writes with this conf's brokers (the pusher's default when absent). */
  compression?: CompressionName;
}

export type ResolvedKqConf = Readonly<
  Required<Omit<KqConf, 'caFile' | 'username' | 'password' | 'compression'>> &
    Pick<KqConf, 'caFile' | 'username' | 'password' | 'compression'> & {
      /**
       * go-zero `service.ServiceConf` fields the conf carried (`Name`, `Log`,
       * ...): accepted, and not used by a task worker.
       */
      serviceFields?: readonly string[];
    }
>;

export const kqConfDefaults = {
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
  taskTimeoutMs: 0,
  unwrapEnvelope: true,
} as const satisfies Partial<KqConf>;

const knownKeys = new Set([
  'brokers',
  'group',
  'topic',
  'caFile',
  'offset',
  'conns',
  'consumers',
  'processors',
  'minBytes',
  'maxBytes',
  'maxWaitMs',
  'username',
  'password',
  'forceCommit',
  'commitInOrder',
  'ordering',
  'taskTimeoutMs',
  'unwrapEnvelope',
  'compression',
]);

/**
 * The fields `KqConf` gets from embedding go-zero's `service.ServiceConf`.
 * Real go-zero YAML carries them; none of them steers consuming (gopkg even
 * replaces `Telemetry` with the server's own), so they are accepted and
 * listed in one informational log line at start.
 */
const serviceConfKeys = new Set([
  'name',
  'log',
  'mode',
  'metricsUrl',
  'prometheus',
  'telemetry',
  'devServer',
  'shutdown',
]);

/** Edits (insert, delete, substitute) from `a` to `b`, case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** The known field closest to `key`, if it is a plausible typo of it. */
function suggestion(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of [...knownKeys, ...serviceConfKeys]) {
    const d = distance(key, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.floor(key.length / 4));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

function pascal(key: string): string {
  return key.length === 0 ? key : key[0]!.toUpperCase() + key.slice(1);
}

const topicName = /^[a-zA-Z0-9._-]{1,249}$/;
const brokerAddress = /^(\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d{1,5}$/;

/** go-zero writes `Brokers`, `CaFile`, ...; we write `brokers`, `caFile`. Both are accepted. */
function camelKey(key: string): string {
  return key.length === 0 ? key : key[0]!.toLowerCase() + key.slice(1);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

class ProblemList {
  readonly items: ConfigProblem[] = [];
  constructor(readonly base: string) {}
  add(field: string, message: string): void {
    this.items.push({ path: this.base ? `${this.base}.${field}` : field, message });
  }
}

function positiveInt(
  problems: ProblemList,
  field: string,
  value: unknown,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    problems.add(field, `must be a whole number of at least ${min}, got ${describe(value)}`);
    return fallback;
  }
  return value;
}

function bool(problems: ProblemList, field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    problems.add(field, `must be true or false, got ${describe(value)}`);
    return fallback;
  }
  return value;
}

function text(
  problems: ProblemList,
  field: string,
  value: unknown,
  secret = false,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    problems.add(field, `must be a non-empty string${secret ? '' : `, got ${describe(value)}`}`);
    return undefined;
  }
  return value;
}

/**
 * Checks one consumer conf and fills in the defaults. Accepts go-zero's
 * PascalCase keys. Throws a `ConfigError` naming every field at fault.
 */
export function resolveKqConf(raw: unknown, path = 'kafkaConf'): ResolvedKqConf {
  const problems = new ProblemList(path);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ path, message: `must be an object, got ${describe(raw)}` }]);
  }
  const input: Record<string, unknown> = {};
  const serviceFields: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const name = camelKey(key);
    // A conf resolved before (withKafkaConf(resolvedConfs)) keeps its list.
    if (key === 'serviceFields' && Array.isArray(value)) {
      for (const field of value) if (typeof field === 'string') serviceFields.push(field);
      continue;
    }
    if (serviceConfKeys.has(name)) {
      serviceFields.push(key);
      continue;
    }
    if (!knownKeys.has(name)) {
      const near = suggestion(name);
      const spelled = near !== undefined && key[0] === key[0]?.toUpperCase() ? pascal(near) : near;
      const hint = spelled === undefined ? '' : `; did you mean "${spelled}"?`;
      problems.add(key, `unknown field${hint} (known: ${[...knownKeys].join(', ')})`);
      continue;
    }
    input[name] = value;
  }

  let brokers: string[] = [];
  const rawBrokers = typeof input.brokers === 'string' ? input.brokers.split(',') : input.brokers;
  if (!Array.isArray(rawBrokers) || rawBrokers.length === 0) {
    problems.add('brokers', `must list at least one "host:port", got ${describe(input.brokers)}`);
  } else {
    brokers = rawBrokers.map((b) => (typeof b === 'string' ? b.trim() : b)) as string[];
    brokers.forEach((broker, i) => {
      if (typeof broker !== 'string' || !brokerAddress.test(broker)) {
        problems.add(`brokers[${i}]`, `must be "host:port", got ${describe(broker)}`);
      }
    });
  }

  const group = text(problems, 'group', input.group);
  if (input.group === undefined) problems.add('group', 'is required (the consumer group id)');
  const topic = text(problems, 'topic', input.topic);
  if (input.topic === undefined) problems.add('topic', 'is required');
  else if (topic !== undefined && !topicName.test(topic)) {
    problems.add('topic', `must be 1-249 characters of [a-zA-Z0-9._-], got ${describe(topic)}`);
  }

  let offset: StartOffset = kqConfDefaults.offset;
  if (input.offset !== undefined) {
    if (input.offset === 'first' || input.offset === 'last') offset = input.offset;
    else problems.add('offset', `must be "first" or "last", got ${describe(input.offset)}`);
  }

  const caFile = text(problems, 'caFile', input.caFile);
  if (caFile !== undefined && !existsSync(caFile)) {
    problems.add('caFile', `file ${describe(caFile)} does not exist`);
  }
  const username = text(problems, 'username', input.username);
  const password = text(problems, 'password', input.password, true);
  // Pairing is judged on what was given, so it is reported alongside other problems
  // (and not again when one of the two is present but malformed).
  if ((input.username === undefined) !== (input.password === undefined)) {
    problems.add(
      input.username === undefined ? 'username' : 'password',
      'username and password go together: set both or neither',
    );
  }

  let ordering: Ordering = kqConfDefaults.ordering;
  if (input.ordering !== undefined) {
    if (orderings.includes(input.ordering as Ordering)) ordering = input.ordering as Ordering;
    else {
      problems.add(
        'ordering',
        `must be one of ${orderings.map((o) => `"${o}"`).join(', ')}, got ${describe(input.ordering)}`,
      );
    }
  }

  let compression: CompressionName | undefined;
  if (input.compression !== undefined) {
    if (compressionNames.includes(input.compression as CompressionName)) {
      compression = input.compression as CompressionName;
    } else {
      problems.add(
        'compression',
        `must be one of ${compressionNames.map((c) => `"${c}"`).join(', ')}, got ${describe(input.compression)}`,
      );
    }
  }

  const minBytes = positiveInt(problems, 'minBytes', input.minBytes, kqConfDefaults.minBytes);
  const maxBytes = positiveInt(problems, 'maxBytes', input.maxBytes, kqConfDefaults.maxBytes);
  if (maxBytes < minBytes) {
    problems.add('maxBytes', `must be at least minBytes (${minBytes}), got ${maxBytes}`);
  }

  const resolved: ResolvedKqConf = {
    brokers,
    group: group ?? '',
    topic: topic ?? '',
    offset,
    conns: positiveInt(problems, 'conns', input.conns, kqConfDefaults.conns),
    consumers: positiveInt(problems, 'consumers', input.consumers, kqConfDefaults.consumers),
    processors: positiveInt(problems, 'processors', input.processors, kqConfDefaults.processors),
    minBytes,
    maxBytes,
    maxWaitMs: positiveInt(problems, 'maxWaitMs', input.maxWaitMs, kqConfDefaults.maxWaitMs, 0),
    forceCommit: bool(problems, 'forceCommit', input.forceCommit, kqConfDefaults.forceCommit),
    commitInOrder: bool(
      problems,
      'commitInOrder',
      input.commitInOrder,
      kqConfDefaults.commitInOrder,
    ),
    ordering,
    taskTimeoutMs: positiveInt(
      problems,
      'taskTimeoutMs',
      input.taskTimeoutMs,
      kqConfDefaults.taskTimeoutMs,
      0,
    ),
    unwrapEnvelope: bool(
      problems,
      'unwrapEnvelope',
      input.unwrapEnvelope,
      kqConfDefaults.unwrapEnvelope,
    ),
    ...(caFile === undefined ? {} : { caFile }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(compression === undefined ? {} : { compression }),
    ...(serviceFields.length === 0 ? {} : { serviceFields }),
  };
  if (problems.items.length > 0) throw new ConfigError(problems.items);
  return resolved;
}

/** Resolves a list of confs, collecting the problems of all of them into one error. */
export function resolveKqConfs(raw: readonly unknown[], path = 'kafkaConf'): ResolvedKqConf[] {
  const problems: ConfigProblem[] = [];
  const out: ResolvedKqConf[] = [];
  raw.forEach((conf, i) => {
    try {
      out.push(resolveKqConf(conf, `${path}[${i}]`));
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/**
 * Environment overrides for deployments: `KAFKA_BROKERS` (comma separated),
 * `KAFKA_USERNAME` and `KAFKA_PASSWORD` replace the conf's values.
 */
export function applyKafkaEnv<T extends Partial<KqConf>>(
  conf: T,
  env: Readonly<Record<string, string | undefined>> = process.env,
): T {
  const out: Record<string, unknown> = { ...conf };
  // A go-zero file spells the field `Brokers`; drop that spelling when replacing it.
  const set = (field: 'brokers' | 'username' | 'password', value: unknown) => {
    delete out[field[0]!.toUpperCase() + field.slice(1)];
    out[field] = value;
  };
  const brokers = env.KAFKA_BROKERS?.trim();
  if (brokers) {
    set(
      'brokers',
      brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    );
  }
  if (env.KAFKA_USERNAME) set('username', env.KAFKA_USERNAME);
  if (env.KAFKA_PASSWORD) set('password', env.KAFKA_PASSWORD);
  return out as T;
}

/** A copy safe to log: credentials replaced. */
export function describeKqConf(conf: ResolvedKqConf): Record<string, unknown> {
  const { password, username, ...rest } = conf;
  return {
    ...rest,
    ...(username === undefined ? {} : { username: '[redacted]' }),
    ...(password === undefined ? {} : { password: '[redacted]' }),
  };
}
