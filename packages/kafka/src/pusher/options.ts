import {
  applyKafkaEnv,
  ConfigError,
  type ConfigProblem,
  type PushMiddleware,
  resolveKqConf,
} from '@tasks/core';
import {
  type KafkaClientOptions,
  Problems,
  type ResolvedClientOptions,
  resolveClientOptions,
  show,
} from '../client/client-options.js';
import type { ConnectionSettings } from '../client/kafka-config.js';
import { type Compression, compressions } from '../codecs/index.js';

/** How many replicas must have a batch before a push resolves. */
export type Acks = -1 | 0 | 1;

/** Options every pusher shares: where the brokers are, batching and middleware. */
export interface PusherOptions extends KafkaClientOptions {
  /** `"host:port"` of one or more brokers. */
  readonly brokers: readonly string[];
  /** PEM file with the CA that signs the brokers' certificates; turns TLS on. */
  readonly caFile?: string;
  /** SASL/PLAIN credentials; set both or neither. */
  readonly username?: string;
  readonly password?: string;
  /** Bytes gathered before a batch is sent (go-queue's chunk size). Default 1,000,000. */
  readonly chunkSize?: number;
  /**
   * The linger, like Kafka's `linger.ms`: how long a message waits for its
   * batch to fill while no batch is in flight. Default 0: what was pushed in
   * the same turn of the event loop goes out on the next one. Under load
   * batches still fill: what arrives while one is being sent goes out
   * together in the next. A few ms more trades latency for fuller batches.
   */
  readonly flushIntervalMs?: number;
  /** Wraps every push (tracing adds a PRODUCER span here), outermost first. */
  readonly middleware?: readonly PushMiddleware[];
  /** -1: every in-sync replica has it (default); 1: the leader has it; 0: do not wait. */
  readonly acks?: Acks;
  /**
   * Codec of every batch: `'snappy'` (default, as go-queue's pusher; xerial
   * framing, as Java and kafka-go write), `'none'`, `'gzip'`, `'lz4'` or `'zstd'`.
   */
  readonly compression?: Compression;
  /** Apply `KAFKA_BROKERS`, `KAFKA_USERNAME`, `KAFKA_PASSWORD` from this environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The defaults of `PusherOptions`. */
export const kafkaPusherDefaults = {
  chunkSize: 1_000_000,
  flushIntervalMs: 0,
  acks: -1,
  compression: 'snappy',
} as const satisfies Partial<Record<keyof PusherOptions, unknown>>;

export interface ResolvedPusherOptions {
  readonly connection: ConnectionSettings;
  readonly client: ResolvedClientOptions;
  readonly chunkSize: number;
  readonly flushIntervalMs: number;
  readonly acks: Acks;
  readonly compression: Compression;
  readonly middleware: readonly PushMiddleware[];
}

const topicName = /^[a-zA-Z0-9._-]{1,249}$/;

/** Checks a topic name the way core checks a conf's `topic`. */
export function checkTopic(problems: Problems, field: string, topic: unknown): void {
  if (typeof topic !== 'string' || !topicName.test(topic)) {
    problems.add(field, `must be 1-249 characters of [a-zA-Z0-9._-], got ${show(topic)}`);
  }
}

/**
 * Checks a pusher's options and fills in defaults. The connection fields go
 * through core's `resolveKqConf`, so they are judged exactly like a consumer
 * conf's. `check` adds the caller's own problems (topic, route). Throws one
 * `ConfigError` naming every bad field and value, before anything connects.
 */
export function resolvePusherOptions(
  options: PusherOptions,
  path: string,
  check: (problems: Problems) => void,
): ResolvedPusherOptions {
  const problems = new Problems(path);
  const all: ConfigProblem[] = [];
  const raw = options.env ? applyKafkaEnv(options, options.env) : options;
  let connection: ConnectionSettings = { brokers: [] };
  try {
    const conf = resolveKqConf(
      {
        brokers: raw.brokers,
        group: 'pusher',
        topic: 'pusher',
        ...(raw.caFile === undefined ? {} : { caFile: raw.caFile }),
        ...(raw.username === undefined ? {} : { username: raw.username }),
        ...(raw.password === undefined ? {} : { password: raw.password }),
      },
      path,
    );
    connection = {
      brokers: conf.brokers,
      caFile: conf.caFile,
      username: conf.username,
      password: conf.password,
    };
  } catch (error) {
    if (error instanceof ConfigError) all.push(...error.problems);
    else throw error;
  }
  const client = resolveClientOptions(options, problems);
  const chunkSize = problems.int('chunkSize', options.chunkSize, kafkaPusherDefaults.chunkSize);
  const flushIntervalMs = problems.int(
    'flushIntervalMs',
    options.flushIntervalMs,
    kafkaPusherDefaults.flushIntervalMs,
    0,
  );
  let acks: Acks = kafkaPusherDefaults.acks;
  if (options.acks !== undefined) {
    if (options.acks === -1 || options.acks === 0 || options.acks === 1) acks = options.acks;
    else problems.add('acks', `must be -1, 0 or 1, got ${show(options.acks)}`);
  }
  let compression: Compression = kafkaPusherDefaults.compression;
  if (options.compression !== undefined) {
    if (compressions.includes(options.compression)) compression = options.compression;
    else {
      problems.add(
        'compression',
        `must be one of ${compressions.map((c) => `"${c}"`).join(', ')}, got ${show(options.compression)}`,
      );
    }
  }
  const middleware = options.middleware ?? [];
  if (!Array.isArray(middleware) || middleware.some((m) => typeof m !== 'function')) {
    problems.add('middleware', 'must be a list of functions (message, next) => Promise<void>');
  }
  check(problems);
  all.push(...problems.items);
  if (all.length > 0) throw new ConfigError(all, `invalid ${path} options`);
  return { connection, client, chunkSize, flushIntervalMs, acks, compression, middleware };
}
