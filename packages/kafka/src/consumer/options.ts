import { ConfigError } from '@tasks/core';
import {
  type KafkaClientOptions,
  Problems,
  type ResolvedClientOptions,
  resolveClientOptions,
} from '../client/client-options.js';

/** How a member that lost (or never had) its connection tries again. */
export interface ReconnectOptions {
  /** Delay before the second attempt; doubles each time, with jitter. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Cap on the delay between attempts. Default 5 s: after an outage the member is back within 5 s of the brokers. */
  readonly maxDelayMs?: number;
}

/** Options of `KafkaTransport`; each conf brings its own brokers, group and topic. */
export interface KafkaTransportOptions extends KafkaClientOptions {
  /** How often finished offsets are committed. Default 1000 ms (go-queue's CommitInterval). */
  readonly commitIntervalMs?: number;
  /**
   * The group drops a member it has not heard from for this long: how long a
   * crashed worker's partitions wait for a new owner. Default 10000 ms (the
   * broker accepts 6000 and up by default). Heartbeats go out while tasks run,
   * so a long task does not need a long session.
   */
  readonly sessionTimeoutMs?: number;
  /** How often a member heartbeats (and learns of a rebalance); below `sessionTimeoutMs`. Default 1000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** How long the group waits for members to re-join in a rebalance. Default 60000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /**
   * In a rebalance, how long a member waits for its runs in flight to finish
   * before it re-joins: what finishes in time is committed while the
   * partitions are still its own; the runs of partitions that then moved and
   * are still going are aborted (`ctx.signal.reason` is a
   * `PartitionRevokedError`) and their results dropped (the new owner runs
   * them again). The whole group waits for it, so keep it well below
   * `rebalanceTimeoutMs`. Default 0: re-join at once (the fake transport's
   * `revokeGraceMs` has the same name and default).
   */
  readonly revokeGraceMs?: number;
  readonly reconnect?: ReconnectOptions;
  /**
   * Apply `KAFKA_BROKERS`, `KAFKA_USERNAME` and `KAFKA_PASSWORD` from this
   * environment to every conf (core's `applyKafkaEnv`). Off unless given.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedTransportOptions extends ResolvedClientOptions {
  readonly commitIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly revokeGraceMs: number;
  readonly reconnect: Required<ReconnectOptions>;
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
}

/** The defaults of `KafkaTransportOptions` (besides the shared `kafkaClientDefaults`). */
export const kafkaTransportDefaults = {
  commitIntervalMs: 1_000,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 60_000,
  revokeGraceMs: 0,
  reconnect: { initialDelayMs: 500, maxDelayMs: 5_000 },
} as const;

/** Checks the options and fills in defaults; throws one `ConfigError` naming every bad field. */
export function resolveTransportOptions(
  options: KafkaTransportOptions = {},
): ResolvedTransportOptions {
  const problems = new Problems('kafkaTransport');
  const d = kafkaTransportDefaults;
  const client = resolveClientOptions(options, problems);
  const sessionTimeoutMs = problems.int(
    'sessionTimeoutMs',
    options.sessionTimeoutMs,
    d.sessionTimeoutMs,
  );
  const heartbeatIntervalMs = problems.int(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs,
    d.heartbeatIntervalMs,
  );
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    problems.add(
      'heartbeatIntervalMs',
      `must be lower than sessionTimeoutMs (${sessionTimeoutMs}), got ${heartbeatIntervalMs}; about a third of it works well`,
    );
  }
  const rebalanceTimeoutMs = problems.int(
    'rebalanceTimeoutMs',
    options.rebalanceTimeoutMs,
    d.rebalanceTimeoutMs,
  );
  const revokeGraceMs = problems.int('revokeGraceMs', options.revokeGraceMs, d.revokeGraceMs, 0);
  if (revokeGraceMs >= rebalanceTimeoutMs) {
    problems.add(
      'revokeGraceMs',
      `must be lower than rebalanceTimeoutMs (${rebalanceTimeoutMs}), got ${revokeGraceMs}: the group drops a member that re-joins later`,
    );
  }
  const reconnect = options.reconnect ?? {};
  const initialDelayMs = problems.int(
    'reconnect.initialDelayMs',
    reconnect.initialDelayMs,
    d.reconnect.initialDelayMs,
  );
  const maxDelayMs = problems.int(
    'reconnect.maxDelayMs',
    reconnect.maxDelayMs,
    d.reconnect.maxDelayMs,
  );
  if (maxDelayMs < initialDelayMs) {
    problems.add(
      'reconnect.maxDelayMs',
      `must be at least reconnect.initialDelayMs (${initialDelayMs}), got ${maxDelayMs}`,
    );
  }
  const resolved: ResolvedTransportOptions = {
    ...client,
    commitIntervalMs: problems.int(
      'commitIntervalMs',
      options.commitIntervalMs,
      d.commitIntervalMs,
    ),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs,
    revokeGraceMs,
    reconnect: { initialDelayMs, maxDelayMs },
    env: options.env,
  };
  if (problems.items.length > 0) {
    throw new ConfigError(problems.items, 'invalid KafkaTransport options');
  }
  return resolved;
}
