import type { Logger } from '@tasks/core';
import type { Kafka } from 'kafkajs';
import { topicNotFound, toTransportError } from '../errors/map-error.js';
import type { CreateTopicsOptions } from './client-options.js';

/**
 * Makes sure each topic exists: creates the missing ones when `create` says
 * how, otherwise throws a `TopicNotFound` `TransportError`. Connection
 * problems come out as `ConnectionFailed`. Uses a short-lived admin client.
 * With `countPartitions`, resolves with each topic's partition count (one
 * metadata request more, best effort: a failed read leaves the counts out);
 * otherwise with an empty map.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly string[],
  create: CreateTopicsOptions | false,
  context: {
    readonly brokers: readonly string[];
    readonly label: string;
    readonly signal?: AbortSignal;
    /** Connects and lists with this client instead (one without kafkajs's retries); creates with `kafka`. */
    readonly probe?: Kafka;
    readonly countPartitions?: boolean;
  },
  logger: Logger,
): Promise<ReadonlyMap<string, number>> {
  const { brokers, label, signal } = context;
  const admin = (context.probe ?? kafka).admin();
  // kafkajs cannot cancel a connect in progress; disconnecting ends its retries.
  const onAbort = () => void admin.disconnect().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      await admin.connect();
    } catch (error) {
      throw toTransportError(error, { operation: `${label}connecting to Kafka`, brokers });
    }
    let existing: Set<string>;
    try {
      existing = new Set(await admin.listTopics());
    } catch (error) {
      throw toTransportError(error, { operation: `${label}listing topics`, brokers });
    }
    const missing = topics.filter((topic) => !existing.has(topic));
    const counts = new Map<string, number>();
    if (context.countPartitions && missing.length < topics.length) {
      // Only a hint: a topic another client created a moment ago may have no
      // leader in the metadata yet, and the counts are then left out.
      try {
        const present = topics.filter((topic) => existing.has(topic));
        const metadata = await admin.fetchTopicMetadata({ topics: present });
        for (const { name, partitions } of metadata.topics) counts.set(name, partitions.length);
      } catch (error) {
        const reason = `${label}could not read the partition counts; fetch shares stay at the default`;
        logger.debug(reason, { error });
      }
    }
    if (missing.length === 0) return counts;
    if (create === false) throw topicNotFound(missing[0]!, brokers);
    const creator = context.probe ? kafka.admin() : admin;
    try {
      if (creator !== admin) await creator.connect();
      await creator.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: create.partitions,
          replicationFactor: create.replicationFactor,
        })),
      });
    } catch (error) {
      throw toTransportError(error, {
        operation: `${label}creating topics ${missing.join(', ')}`,
        brokers,
      });
    } finally {
      if (creator !== admin) await creator.disconnect().catch(() => {});
    }
    logger.info(`${label}created missing topics`, { topics: missing, ...create });
    for (const topic of missing) counts.set(topic, create.partitions);
    return counts;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
