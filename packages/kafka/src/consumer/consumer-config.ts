import type { ResolvedKqConf } from '@tasks/core';
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  EachBatchHandler,
} from 'kafkajs';
import type { ResolvedTransportOptions } from './options.js';
import { subscriptionRoundRobin } from './round-robin-assigner.js';

/** kafkajs's default fetch size per partition, and the least share a partition gets. */
const leastPartitionFetch = 1_048_576;

/**
 * Bytes one partition may add to a fetch. kafkajs asks for all of a member's
 * partitions in one request capped at `maxBytes` (kafka-go, under go-queue,
 * asks per partition with `MaxBytes` each), and the broker fills the response
 * in the request's order, which kafkajs never rotates: a share bigger than
 * `maxBytes / partitions` would let the first partitions take whole fetches
 * while the last ones wait. So: an equal share of `maxBytes` over the topic's
 * partitions, letting one fetch carry every partition and fill up (fewer,
 * fuller fetches cost less per message), never below kafkajs's 1 MiB default
 * (the broker's default largest record batch) nor above `maxBytes`.
 * `partitions` undefined (not known) gives the default.
 */
export function partitionFetchBytes(maxBytes: number, partitions: number | undefined): number {
  const share = partitions === undefined || partitions < 1 ? 0 : Math.floor(maxBytes / partitions);
  return Math.min(maxBytes, Math.max(leastPartitionFetch, share));
}

/**
 * kafkajs consumer settings for one conf. Partitions are dealt by the
 * subscription-aware `roundrobin` assigner. kafkajs never restarts a crashed
 * consumer itself (`restartOnFailure` says no): the group member does, with
 * its own capped backoff, so every attempt is logged and `stop()` can cut it short.
 */
export function toConsumerConfig(
  conf: ResolvedKqConf,
  options: ResolvedTransportOptions,
  /** The topic's partition count, when known: sizes each partition's share of a fetch. */
  partitions?: number,
): ConsumerConfig {
  return {
    groupId: conf.group,
    partitionAssigners: [subscriptionRoundRobin],
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    rebalanceTimeout: options.rebalanceTimeoutMs,
    minBytes: conf.minBytes,
    maxBytes: conf.maxBytes,
    maxBytesPerPartition: partitionFetchBytes(conf.maxBytes, partitions),
    maxWaitTimeInMs: conf.maxWaitMs,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    retry: {
      retries: options.clientRetry.retries,
      initialRetryTime: options.clientRetry.initialRetryTimeMs,
      maxRetryTime: options.clientRetry.maxRetryTimeMs,
      restartOnFailure: async () => false,
    },
  };
}

/** Where a group with no committed offset starts: go-queue's `offset: first` is `fromBeginning`. */
export function toSubscription(conf: ResolvedKqConf): ConsumerSubscribeTopics {
  return { topics: [conf.topic], fromBeginning: conf.offset === 'first' };
}

/**
 * The run settings: offsets are committed by the transport (never by kafkajs),
 * a batch resolves only the offsets actually handed out, and `consumers`
 * partitions are processed concurrently.
 */
export function toRunConfig(conf: ResolvedKqConf, eachBatch: EachBatchHandler): ConsumerRunConfig {
  return {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: conf.consumers,
    eachBatch,
  };
}
