import { ConfigError, type ConfigProblem } from '@tasks/core';

/** How a `FakeBroker` behaves; every field is optional. */
export interface FakeBrokerOptions {
  /**
   * Addresses the broker claims to listen on. Nothing connects to them; they
   * exist so confs built for the fake pass core's validation.
   */
  readonly brokers?: readonly string[];
  /** Create an unknown topic on its first produce or subscribe (Kafka's `auto.create.topics.enable`). */
  readonly autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic (Kafka's `num.partitions`). */
  readonly defaultPartitions?: number;
  /** The clock that stamps records produced without a timestamp. */
  readonly now?: () => number;
}

export type ResolvedFakeBrokerOptions = Readonly<Required<FakeBrokerOptions>>;

export const fakeBrokerDefaults = {
  brokers: ['fake-broker:9092'],
  autoCreateTopics: true,
  defaultPartitions: 1,
  now: Date.now,
} as const satisfies ResolvedFakeBrokerOptions;

/** Fills in defaults; throws a `ConfigError` naming every bad field. */
export function resolveFakeBrokerOptions(
  options: FakeBrokerOptions = {},
): ResolvedFakeBrokerOptions {
  const out = { ...fakeBrokerDefaults, ...options };
  const problems: ConfigProblem[] = [];
  if (!Array.isArray(out.brokers) || out.brokers.length === 0) {
    problems.push({ path: 'fakeBroker.brokers', message: 'must list at least one "host:port"' });
  }
  if (!Number.isInteger(out.defaultPartitions) || out.defaultPartitions < 1) {
    problems.push({
      path: 'fakeBroker.defaultPartitions',
      message: `must be a whole number of at least 1, got ${out.defaultPartitions}`,
    });
  }
  if (typeof out.now !== 'function') {
    problems.push({
      path: 'fakeBroker.now',
      message: 'must be a function returning ms since the epoch',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
