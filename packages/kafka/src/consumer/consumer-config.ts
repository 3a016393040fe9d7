import type { ResolvedKqConf } from '@tasks/core';
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  EachBatchHandler,
} from 'kafkajs';
import type { ResolvedTransportOptions } from './options.js';
import { subscriptionRoundRobin } from './round-robin-assigner.js';

/** kafkajs's default fetch size per partition; a conf's `maxBytes` caps the whole fetch. */
const partitionFetchCap = 1_048_576;

/**
 * kafkajs consumer settings for one conf. Partitions are dealt by the
 * subscription-aware `roundrobin` assigner. kafkajs never restarts a crashed
 * consumer itself (`restartOnFailure` says no): the group member does, with
 * its own capped backoff, so every attempt is logged and `stop()` can cut it short.
 */
export function toConsumerConfig(
  conf: ResolvedKqConf,
  options: ResolvedTransportOptions,
): ConsumerConfig {
  return {
    groupId: conf.group,
    partitionAssigners: [subscriptionRoundRobin],
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    rebalanceTimeout: options.rebalanceTimeoutMs,
    minBytes: conf.minBytes,
    maxBytes: conf.maxBytes,
    maxBytesPerPartition: Math.min(conf.maxBytes, partitionFetchCap),
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
