import { randomUUID } from 'node:crypto';
import {
  checkReplayOptions,
  createConsoleLogger,
  isTasksError,
  type OutboundMessage,
  planReplay,
  type ReplayEntry,
  type ReplayOptions,
  type ReplayResult,
} from '@tasks/core';
import type { Message } from 'kafkajs';
import { newKafkaClient } from '../client/kafka-client.js';
import { toKafkaConfig } from '../client/kafka-config.js';
import { installCodecs } from '../codecs/index.js';
import { toInbound } from '../consumer/to-inbound.js';
import { topicNotFound, toTransportError } from '../errors/map-error.js';
import { type PusherOptions, resolvePusherOptions } from '../pusher/options.js';
import { ProducerLink } from '../pusher/producer-link.js';

/** Options of `replayDeadLetters`: the brokers (as a pusher's), the dead-letter topic and the filter. */
export interface KafkaReplayOptions extends ReplayOptions, Omit<PusherOptions, 'middleware'> {
  /** The dead-letter topic to read. */
  readonly topic: string;
}

const noop = () => {};

/**
 * Sends the dead letters of a topic back to their original topics, so a
 * fixed task can finish them: each letter that matches `filter` goes with
 * its original key, value and headers (the `tasks.dlq.*` ones stripped) and
 * `tasks.replay.count` one higher. With `dryRun` it reads and reports only.
 *
 * It reads from the start of each partition up to the end offsets taken
 * when it starts (letters written meanwhile, such as replays that died
 * again, are left for the next run), and remembers nothing: running it twice
 * sends the same letters twice; narrow a run with `filter.since`/`until`.
 * It uses a throwaway consumer group (`tasks-replay-<uuid>`), commits no
 * offsets and deletes the group when done. Replayed messages are sent in the
 * order read, per partition of the dead-letter topic, `acks: -1`.
 *
 * ```ts
 * const result = await replayDeadLetters({
 *   brokers: ['127.0.0.1:9092'],
 *   topic: 'orders.dlq',
 *   filter: { taskKeys: ['order'], since: Date.parse('2026-12-01T00:00:00Z') },
 * });
 * ```
 */
export async function replayDeadLetters(options: KafkaReplayOptions): Promise<ReplayResult> {
  const resolved = resolvePusherOptions({ ...options, middleware: [] }, 'replay', () => {});
  checkReplayOptions(options.topic, options);
  const { topic } = options;
  const dryRun = options.dryRun === true;
  const logger = options.logger ?? createConsoleLogger();
  installCodecs();
  const { brokers } = resolved.connection;
  const kafka = newKafkaClient(toKafkaConfig(resolved.connection, resolved.client, logger));
  const admin = kafka.admin();
  const link = dryRun ? undefined : new ProducerLink(resolved, logger);
  let scanned = 0;
  let matched = 0;
  let sent = 0;
  let notDeadLetters = 0;
  const endOffsets: Record<number, string> = {};
  const groupId = `tasks-replay-${randomUUID()}`;
  let consumer: ReturnType<typeof kafka.consumer> | undefined;
  try {
    let offsets: Array<{ partition: number; high: string; low: string }>;
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) throw topicNotFound(topic, brokers);
      offsets = await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (isTasksError(error)) throw error;
      throw toTransportError(error, { operation: 'reading the end offsets of', brokers, topic });
    }
    // Where to stop: the end of each partition now. Empty partitions are done already.
    const remaining = new Map<number, bigint>();
    for (const { partition, high, low } of offsets) {
      endOffsets[partition] = high;
      if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high));
    }
    if (remaining.size === 0)
      return { topic, dryRun, scanned, matched, sent, notDeadLetters, endOffsets };

    const done = Promise.withResolvers<void>();
    consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    const { events } = consumer;
    consumer.on(events.CRASH, ({ payload }) => done.reject(payload.error));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const end = remaining.get(batch.partition);
        if (end === undefined) return;
        // Kept in order per target topic, one send per batch and topic.
        const outgoing = new Map<string, OutboundMessage[]>();
        const entries: ReplayEntry[] = [];
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          scanned += 1;
          const plan = planReplay(toInbound(topic, batch.partition, message), options.filter);
          if (plan === 'not-a-dead-letter') {
            notDeadLetters += 1;
            continue;
          }
          if (plan === undefined) continue;
          matched += 1;
          entries.push({ ...plan.entry, sent: !dryRun });
          let list = outgoing.get(plan.message.topic);
          if (list === undefined) {
            list = [];
            outgoing.set(plan.message.topic, list);
          }
          list.push(plan.message);
        }
        if (link !== undefined) {
          try {
            for (const [target, messages] of outgoing) {
              await link.send(target, messages.map(toKafkaRecord));
              sent += messages.length;
            }
          } catch (error) {
            // Ours, not kafkajs's wrapper around it: the caller sees the TransportError.
            done.reject(error);
            return;
          }
        }
        for (const entry of entries) options.onLetter?.(entry);
        const last = batch.messages.at(-1);
        if (last !== undefined) resolveOffset(last.offset);
        await heartbeat();
        // The batch's last offset reaches the end: control records and compaction leave no gap behind.
        if (BigInt(batch.lastOffset()) + 1n >= end) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) done.resolve();
        }
      },
    });
    await done.promise;
    return { topic, dryRun, scanned, matched, sent, notDeadLetters, endOffsets };
  } finally {
    await consumer?.disconnect().catch(noop);
    if (consumer !== undefined) await admin.deleteGroups([groupId]).catch(noop);
    await admin.disconnect().catch(noop);
    await link?.close();
  }
}

function toKafkaRecord(message: OutboundMessage): Message {
  return { key: message.key ?? null, value: message.value, headers: { ...message.headers } };
}
