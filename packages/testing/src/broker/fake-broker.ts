import {
  ConfigError,
  type ConfigProblem,
  ErrorCodes,
  type InboundMessage,
  type OutboundMessage,
  TransportError,
} from '@tasks/core';
import { FakeTransport } from '../transport/fake-transport.js';
import type { FakeTransportOptions } from '../transport/options.js';
import type { BrokerLink } from './broker-link.js';
import { ConsumerGroup } from './consumer-group.js';
import { toInboundMessage } from './inbound-message.js';
import {
  type FakeBrokerOptions,
  type ResolvedFakeBrokerOptions,
  resolveFakeBrokerOptions,
} from './options.js';
import { FakeTopic } from './topic.js';
import type { GroupMemberInfo, ProduceRecord, RecordMetadata } from './types.js';

const topicName = /^[a-zA-Z0-9._-]{1,249}$/;

function toBytes(value: string | Buffer | null | undefined, field: string): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  throw new TransportError(
    ErrorCodes.PushFailed,
    `${field} must be a string, a Buffer or null, got ${typeof value}`,
  );
}

function toHeaders(
  headers: Readonly<Record<string, string | Buffer>> | undefined,
): Readonly<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name] = toBytes(value, `header "${name}"`) ?? Buffer.alloc(0);
  }
  return Object.freeze(out);
}

/**
 * An in-memory Kafka broker for tests: topics with partitions, the Java
 * client's partitioner, consumer groups with committed offsets and
 * rebalances. `transport()` gives a `Transport` that `TaskServer` runs on
 * unchanged; one transport stands for one worker process.
 */
export class FakeBroker {
  readonly #options: ResolvedFakeBrokerOptions;
  readonly #topics = new Map<string, FakeTopic>();
  readonly #groups = new Map<string, ConsumerGroup>();
  #members = 0;
  #clients = 0;
  readonly #link: BrokerLink = {
    topicForConsumer: (name) => this.#topicOrCreate(name),
    group: (id) => this.#group(id),
    nextMemberId: (clientId) => `${clientId}-${++this.#members}`,
    nextClientId: () => `fake-client-${++this.#clients}`,
    produce: (topic, records) => this.produce(topic, records),
  };
  /** Topics every produce to fails, with the reason the test gave. */
  readonly #refused = new Map<string, string>();

  constructor(options: FakeBrokerOptions = {}) {
    this.#options = resolveFakeBrokerOptions(options);
  }

  /** The addresses to put in a conf's `brokers`. */
  get brokers(): readonly string[] {
    return this.#options.brokers;
  }

  /**
   * Creates a topic. Creating one that exists with the same partition count
   * does nothing; with another count it throws.
   */
  createTopic(name: string, options: { readonly partitions: number }): void {
    const partitions = options.partitions;
    const problems: ConfigProblem[] = [];
    if (typeof name !== 'string' || !topicName.test(name)) {
      problems.push({
        path: 'topic',
        message: `must be 1-249 characters of [a-zA-Z0-9._-], got ${JSON.stringify(name)}`,
      });
    }
    if (!Number.isInteger(partitions) || partitions < 1) {
      problems.push({
        path: 'partitions',
        message: `must be a whole number of at least 1, got ${partitions}`,
      });
    }
    if (problems.length > 0) throw new ConfigError(problems, `cannot create topic "${name}"`);
    const existing = this.#topics.get(name);
    if (existing) {
      if (existing.partitionCount === partitions) return;
      throw new TransportError(
        ErrorCodes.TransportFailed,
        `topic "${name}" already exists with ${existing.partitionCount} partition(s), not ${partitions}`,
      );
    }
    this.#topics.set(name, new FakeTopic(name, partitions));
  }

  /** True once the topic exists (created, or auto-created by a produce or subscribe). */
  hasTopic(name: string): boolean {
    return this.#topics.has(name);
  }

  /** Every topic's name, sorted. */
  topicNames(): string[] {
    return [...this.#topics.keys()].sort();
  }

  /** The topic's partition count; throws `TopicNotFound` for an unknown topic. */
  partitionCount(topic: string): number {
    return this.#existing(topic).partitionCount;
  }

  /**
   * Appends records in order and says where each landed. The batch is
   * checked first and written whole or not at all. Consumers see the records
   * asynchronously, never inside this call.
   */
  async produce(
    topic: string,
    records: ProduceRecord | readonly ProduceRecord[],
  ): Promise<RecordMetadata[]> {
    const list: readonly ProduceRecord[] = Array.isArray(records)
      ? records
      : [records as ProduceRecord];
    const refused = this.#refused.get(topic);
    if (refused !== undefined) {
      throw new TransportError(
        ErrorCodes.PushFailed,
        `the broker refused a write to "${topic}": ${refused}`,
        {
          retriable: true,
        },
      );
    }
    const target = this.#topicOrCreate(topic);
    const now = this.#options.now();
    const prepared = list.map((record, i) => {
      const key = toBytes(record.key, `records[${i}].key`);
      const value = toBytes(record.value, `records[${i}].value`);
      const timestamp = record.timestamp ?? now;
      if (!Number.isFinite(timestamp) || timestamp < 0) {
        throw new TransportError(
          ErrorCodes.PushFailed,
          `records[${i}].timestamp must be ms since the epoch, got ${timestamp}`,
        );
      }
      const partition = target.choosePartition(key, record.partition);
      return { partition, record: { key, value, timestamp, headers: toHeaders(record.headers) } };
    });
    return prepared.map(({ partition, record }) => ({
      topic,
      partition,
      offset: String(target.log(partition).append(record)),
      timestamp: record.timestamp,
    }));
  }

  /**
   * Makes every produce to `topic` fail with a retriable `PushFailed`, as a
   * broker refusing writes would (a full disk, a missing ACL, a topic being
   * recreated), until `acceptWrites(topic)`.
   */
  refuseWrites(topic: string, reason = 'writes refused by the test'): void {
    this.#refused.set(topic, reason);
  }

  /** Ends `refuseWrites(topic)`. */
  acceptWrites(topic: string): void {
    this.#refused.delete(topic);
  }

  /** Sends one core `OutboundMessage`: the broker as the end of a push middleware chain. */
  async send(message: OutboundMessage): Promise<void> {
    await this.produce(message.topic, {
      key: message.key ?? null,
      value: message.value,
      headers: message.headers,
      ...(message.partition === undefined ? {} : { partition: message.partition }),
      ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
    });
  }

  /** Every record of the topic (or one partition), by partition then offset, as consumers see them. */
  messages(topic: string, partition?: number): InboundMessage[] {
    const target = this.#existing(topic);
    const partitions = partition === undefined ? target.partitions.map((_, p) => p) : [partition];
    return partitions.flatMap((p) =>
      target
        .log(p)
        .records()
        .map((record) => toInboundMessage(topic, p, record)),
    );
  }

  /** The next offset each partition will write (the log end offset). */
  endOffsets(topic: string): Map<number, number> {
    return new Map(this.#existing(topic).partitions.map((log, p) => [p, log.endOffset]));
  }

  /**
   * The group's committed offsets for a topic: per partition, the next offset
   * to read. Partitions the group never committed are absent.
   */
  committedOffsets(group: string, topic: string): Map<number, number> {
    return this.#groups.get(group)?.committedOffsets(topic) ?? new Map();
  }

  /** The group's live members and the partitions each owns, in join order. */
  groupMembers(group: string): GroupMemberInfo[] {
    return this.#groups.get(group)?.members() ?? [];
  }

  /** A new transport: one worker process with its own group members. */
  transport(options: FakeTransportOptions = {}): FakeTransport {
    return new FakeTransport(this.#link, options);
  }

  #existing(topic: string): FakeTopic {
    const found = this.#topics.get(topic);
    if (!found) {
      throw new TransportError(ErrorCodes.TopicNotFound, `topic "${topic}" does not exist`);
    }
    return found;
  }

  #topicOrCreate(topic: string): FakeTopic {
    if (!this.#topics.has(topic) && this.#options.autoCreateTopics) {
      this.createTopic(topic, { partitions: this.#options.defaultPartitions });
    }
    const found = this.#topics.get(topic);
    if (!found) {
      throw new TransportError(
        ErrorCodes.TopicNotFound,
        `topic "${topic}" does not exist and autoCreateTopics is off (create it with broker.createTopic)`,
      );
    }
    return found;
  }

  #group(id: string): ConsumerGroup {
    let group = this.#groups.get(id);
    if (!group) {
      group = new ConsumerGroup(id, (topic) => this.#existing(topic).partitionCount);
      this.#groups.set(id, group);
    }
    return group;
  }
}
