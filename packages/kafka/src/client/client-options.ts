import type { ConfigProblem, Logger } from '@tasks/core';
import type { ISocketFactory } from 'kafkajs';

/** kafkajs's socket factory: opens the TCP (or TLS) socket to one broker (proxies, tests). */
export type KafkaSocketFactory = ISocketFactory;

/** How much of kafkajs's own logging reaches your logger. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** Create a missing topic with these settings instead of failing. */
export interface CreateTopicsOptions {
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** kafkajs's own retries for one request (connect, join, commit, send) before it gives up. */
export interface ClientRetryOptions {
  /** Retries after the first try. Default 5. */
  readonly retries?: number;
  /** Delay before the first retry, doubled each time (with kafkajs's jitter). Default 300 ms. */
  readonly initialRetryTimeMs?: number;
  /** Cap on one retry's delay. Default 30 s. */
  readonly maxRetryTimeMs?: number;
}

/** Settings every client this package builds (consumer or producer) shares. */
export interface KafkaClientOptions {
  /** The client id the brokers see. Default `"tasks"`. */
  readonly clientId?: string;
  /** Where this package's and kafkajs's log lines go. Default: JSON lines on stderr, `info` and up. */
  readonly logger?: Logger;
  /** kafkajs's internal logging, mapped into `logger`. Default `"nothing"` (quiet). */
  readonly kafkaLogLevel?: KafkaLogLevel;
  /** TCP (and TLS) connect timeout per broker. Default 3000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Time a request may wait for its response. Default 30000 ms. */
  readonly requestTimeoutMs?: number;
  /** What happens when a topic does not exist: `false` (default) fails with `TopicNotFound`. */
  readonly createTopics?: CreateTopicsOptions | false;
  /** With `caFile` set: check the brokers' certificates against it (default true). */
  readonly tlsRejectUnauthorized?: boolean;
  readonly clientRetry?: ClientRetryOptions;
  /** Opens the sockets to the brokers; kafkajs's (plain `net`/`tls`) by default. */
  readonly socketFactory?: KafkaSocketFactory;
}

export interface ResolvedClientOptions {
  readonly clientId: string;
  readonly logger: Logger | undefined;
  readonly kafkaLogLevel: KafkaLogLevel;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly createTopics: CreateTopicsOptions | false;
  readonly tlsRejectUnauthorized: boolean;
  readonly clientRetry: Required<ClientRetryOptions>;
  readonly socketFactory: KafkaSocketFactory | undefined;
}

/** The defaults of `KafkaClientOptions`. */
export const kafkaClientDefaults = {
  clientId: 'tasks',
  kafkaLogLevel: 'nothing',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
  createTopics: false,
  tlsRejectUnauthorized: true,
  clientRetry: { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 },
} as const;

const logLevels: readonly KafkaLogLevel[] = ['nothing', 'error', 'warn', 'info', 'debug'];

/** Collects problems under one path prefix, for a single `ConfigError`. */
export class Problems {
  readonly items: ConfigProblem[] = [];
  readonly #base: string;

  constructor(base: string) {
    this.#base = base;
  }

  add(field: string, message: string): void {
    this.items.push({ path: `${this.#base}.${field}`, message });
  }

  /** A whole number >= `min`, or the fallback when absent. */
  int(field: string, value: unknown, fallback: number, min = 1): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      this.add(field, `must be a whole number of at least ${min}, got ${show(value)}`);
      return fallback;
    }
    return value;
  }

  bool(field: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.add(field, `must be true or false, got ${show(value)}`);
      return fallback;
    }
    return value;
  }
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Checks the shared client options, adding what is wrong to `problems`. */
export function resolveClientOptions(
  options: KafkaClientOptions,
  problems: Problems,
): ResolvedClientOptions {
  const d = kafkaClientDefaults;
  let clientId: string = d.clientId;
  if (options.clientId !== undefined) {
    if (typeof options.clientId === 'string' && options.clientId.length > 0) {
      clientId = options.clientId;
    } else problems.add('clientId', `must be a non-empty string, got ${show(options.clientId)}`);
  }
  let kafkaLogLevel: KafkaLogLevel = d.kafkaLogLevel;
  if (options.kafkaLogLevel !== undefined) {
    if (logLevels.includes(options.kafkaLogLevel)) kafkaLogLevel = options.kafkaLogLevel;
    else {
      problems.add(
        'kafkaLogLevel',
        `must be one of ${logLevels.join(', ')}, got ${show(options.kafkaLogLevel)}`,
      );
    }
  }
  let createTopics: CreateTopicsOptions | false = d.createTopics;
  const rawCreate: unknown = options.createTopics;
  if (rawCreate !== undefined && rawCreate !== false) {
    if (typeof rawCreate !== 'object' || rawCreate === null) {
      problems.add(
        'createTopics',
        `must be false or { partitions, replicationFactor }, got ${show(rawCreate)}`,
      );
    } else {
      const raw = rawCreate as Record<string, unknown>;
      const partitions = problems.int('createTopics.partitions', raw.partitions ?? 'missing', 1);
      const replicationFactor = problems.int(
        'createTopics.replicationFactor',
        raw.replicationFactor ?? 'missing',
        1,
      );
      createTopics = { partitions, replicationFactor };
    }
  }
  if (options.socketFactory !== undefined && typeof options.socketFactory !== 'function') {
    problems.add('socketFactory', `must be a function, got ${show(options.socketFactory)}`);
  }
  const retry = options.clientRetry ?? {};
  return {
    clientId,
    logger: options.logger,
    kafkaLogLevel,
    connectionTimeoutMs: problems.int(
      'connectionTimeoutMs',
      options.connectionTimeoutMs,
      d.connectionTimeoutMs,
    ),
    requestTimeoutMs: problems.int(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      d.requestTimeoutMs,
    ),
    createTopics,
    tlsRejectUnauthorized: problems.bool(
      'tlsRejectUnauthorized',
      options.tlsRejectUnauthorized,
      d.tlsRejectUnauthorized,
    ),
    clientRetry: {
      retries: problems.int('clientRetry.retries', retry.retries, d.clientRetry.retries, 0),
      initialRetryTimeMs: problems.int(
        'clientRetry.initialRetryTimeMs',
        retry.initialRetryTimeMs,
        d.clientRetry.initialRetryTimeMs,
      ),
      maxRetryTimeMs: problems.int(
        'clientRetry.maxRetryTimeMs',
        retry.maxRetryTimeMs,
        d.clientRetry.maxRetryTimeMs,
      ),
    },
    socketFactory: options.socketFactory,
  };
}
