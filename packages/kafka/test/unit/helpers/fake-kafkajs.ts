import { EventEmitter } from 'node:events';
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  Kafka,
  KafkaConfig,
  KafkaMessage,
} from 'kafkajs';

/**
 * Enough of kafkajs 2.2.4's `Kafka`, `Consumer` and `Admin` for the group
 * member and the transport to run without a broker. A test plays the broker
 * and the group coordinator: it decides when a consumer joins (`join`), when a
 * fetch completes (`fetched`), hands batches to `eachBatch` (`deliver`),
 * crashes the consumer (`crash`) and makes commits fail or wait (`onCommit`).
 * Everything the code under test asks of kafkajs is recorded.
 */

/** kafkajs's consumer instrumentation event names (`consumer.events`). */
const consumerEvents = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

export interface Committed {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** What the brokers hold, shared by every client made against them. */
export class FakeCluster {
  readonly topics: Set<string>;
  /** Topics created through an admin client. */
  readonly created: string[] = [];
  /** Thrown by the next admin `connect()` calls while set. */
  adminConnectError: Error | undefined;
  /** Partitions per topic in topic metadata; a topic not named here has one. */
  readonly partitionCounts = new Map<string, number>();
  /** Thrown by the next admin `fetchTopicMetadata()` calls while set. */
  metadataError: Error | undefined;
  /** Every client made, in order (the transport makes a client and a probe per conf). */
  readonly clients: FakeKafka[] = [];

  constructor(topics: readonly string[] = []) {
    this.topics = new Set(topics);
  }

  /** Every consumer made by any client, in order. */
  get consumers(): FakeConsumer[] {
    return this.clients.flatMap((client) => client.consumers);
  }
}

/** The stand-in for a kafkajs `Kafka` client. */
export class FakeKafka {
  readonly config: KafkaConfig | undefined;
  readonly cluster: FakeCluster;
  readonly consumers: FakeConsumer[] = [];
  /** Admin clients made from this client. */
  admins = 0;
  /** Called with each new consumer before it is handed out: set its faults here. */
  onConsumer: ((consumer: FakeConsumer, index: number) => void) | undefined;

  constructor(config?: KafkaConfig, cluster: FakeCluster = FakeKafka.defaultCluster) {
    this.config = config;
    this.cluster = cluster;
    cluster.clients.push(this);
  }

  /** The cluster clients made with `new Kafka(config)` (the transport's) join. */
  static defaultCluster = new FakeCluster();

  consumer(config: ConsumerConfig): FakeConsumer {
    const consumer = new FakeConsumer(config);
    this.onConsumer?.(consumer, this.consumers.length);
    this.consumers.push(consumer);
    return consumer;
  }

  admin() {
    const { cluster } = this;
    this.admins += 1;
    return {
      connect: async () => {
        if (cluster.adminConnectError) throw cluster.adminConnectError;
      },
      listTopics: async () => [...cluster.topics],
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
        if (cluster.metadataError) throw cluster.metadataError;
        return {
          topics: topics.map((name) => ({
            name,
            partitions: Array.from({ length: cluster.partitionCounts.get(name) ?? 1 }, (_, i) => ({
              partitionId: i,
            })),
          })),
        };
      },
      createTopics: async ({ topics }: { topics: Array<{ topic: string }> }) => {
        for (const { topic } of topics) {
          cluster.topics.add(topic);
          cluster.created.push(topic);
        }
        return true;
      },
      disconnect: async () => {},
    };
  }

  asKafka(): Kafka {
    return this as unknown as Kafka;
  }
}

/** A batch handed to `eachBatch`, with what the handler did with it. */
export interface Delivery {
  /** Settles when `eachBatch` returns (rejects with what it threw). */
  readonly done: Promise<void>;
  /** Offsets passed to `resolveOffset`, in order. */
  readonly resolved: string[];
  readonly heartbeats: { count: number };
}

export function kafkaMessage(offset: number, value = `m-${offset}`): KafkaMessage {
  return {
    key: null,
    value: Buffer.from(value),
    timestamp: '1700000000000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  };
}

/** An `eachBatch` payload as kafkajs's runner makes one, recording what the handler did with it. */
export type RecordedPayload = EachBatchPayload & {
  /** Offsets passed to `resolveOffset`, in order. */
  readonly resolved: string[];
  /** How many times the handler called `pause()`. */
  readonly paused: { count: number };
};

export interface PayloadParts {
  readonly topic?: string;
  readonly heartbeat?: () => Promise<void>;
  /** Called at each `pause()`; returns the resume function kafkajs would. */
  readonly pause?: () => () => void;
  readonly isRunning?: () => boolean;
}

/** One batch of `topic[partition]` (topic `t` by default); numbers become `kafkaMessage(n)`. */
export function batchPayload(
  partition: number,
  messages: readonly (number | KafkaMessage)[],
  parts: PayloadParts = {},
): RecordedPayload {
  const resolved: string[] = [];
  const paused = { count: 0 };
  const pause = parts.pause ?? (() => () => {});
  return {
    resolved,
    paused,
    batch: {
      topic: parts.topic ?? 't',
      partition,
      highWatermark: '0',
      messages: messages.map((m) => (typeof m === 'number' ? kafkaMessage(m) : m)),
    },
    resolveOffset: (offset: string) => resolved.push(offset),
    heartbeat: parts.heartbeat ?? (async () => {}),
    pause: () => {
      paused.count += 1;
      return pause();
    },
    commitOffsetsIfNecessary: async () => {},
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: parts.isRunning ?? (() => true),
    isStale: () => false,
  } as unknown as RecordedPayload;
}

/** The stand-in for a kafkajs `Consumer`. */
export class FakeConsumer {
  readonly events = consumerEvents;
  readonly config: ConsumerConfig;
  /** What was called, in order: `connect`, `subscribe`, `run`, `pause t`, `disconnect`... */
  readonly calls: string[] = [];
  /** One entry per successful `commitOffsets` request. */
  readonly commits: Committed[][] = [];
  subscription: ConsumerSubscribeTopics | undefined;
  runConfig: ConsumerRunConfig | undefined;
  readonly paused = new Set<string>();
  running = false;
  /** Thrown (or awaited, when a promise) by `connect()`. */
  connectError: Error | undefined;
  connectGate: Promise<void> | undefined;
  /** Runs before each commit request is accepted: throw to fail it, await to hold it. */
  onCommit: ((offsets: readonly Committed[]) => void | Promise<void>) | undefined;
  disconnectError: Error | undefined;
  readonly #emitter = new EventEmitter();

  constructor(config: ConsumerConfig) {
    this.config = config;
  }

  on(name: string, listener: (event: unknown) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  async connect(): Promise<void> {
    this.calls.push('connect');
    await this.connectGate;
    if (this.connectError) throw this.connectError;
  }

  async subscribe(subscription: ConsumerSubscribeTopics): Promise<void> {
    this.calls.push('subscribe');
    this.subscription = subscription;
  }

  async run(config: ConsumerRunConfig): Promise<void> {
    this.calls.push('run');
    this.runConfig = config;
    this.running = true;
  }

  async commitOffsets(offsets: Committed[]): Promise<void> {
    this.calls.push('commitOffsets');
    await this.onCommit?.(offsets);
    this.commits.push(offsets);
  }

  pause(topics: Array<{ topic: string }>): void {
    // kafkajs: "Consumer group was not initialized, consumer#run must be called first".
    if (!this.running) throw new Error('consumer#run must be called first');
    for (const { topic } of topics) {
      this.calls.push(`pause ${topic}`);
      this.paused.add(topic);
    }
  }

  resume(topics: Array<{ topic: string }>): void {
    for (const { topic } of topics) this.paused.delete(topic);
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    this.running = false;
  }

  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
    this.running = false;
    if (this.disconnectError) throw this.disconnectError;
  }

  /** Every offset committed for `topic[partition]`, in order. */
  committed(topic: string, partition: number): string[] {
    return this.commits
      .flat()
      .filter((c) => c.topic === topic && c.partition === partition)
      .map((c) => c.offset);
  }

  #emit(name: string, payload: unknown): void {
    this.#emitter.emit(name, { id: 0, type: name, timestamp: Date.now(), payload });
  }

  /** The coordinator answered a join: these partitions are this member's now. */
  join(memberAssignment: Record<string, number[]>): void {
    this.#emit(consumerEvents.GROUP_JOIN, {
      groupId: String(this.config.groupId),
      memberId: 'member-1',
      leaderId: 'member-1',
      isLeader: true,
      memberAssignment,
      groupProtocol: 'RoundRobinAssigner',
      duration: 1,
    });
  }

  /** A fetch from `nodeId` started and completed. */
  fetched(nodeId = 0): void {
    this.#emit(consumerEvents.FETCH_START, { nodeId });
    this.#emit(consumerEvents.FETCH, { numberOfBatches: 1, duration: 1, nodeId });
  }

  /** kafkajs is about to re-join the group. */
  rebalancing(): void {
    this.#emit(consumerEvents.REBALANCING, { groupId: this.config.groupId, memberId: 'member-1' });
  }

  /** The consumer crashed and will not restart (`restartOnFailure` said no). */
  crash(error: Error): void {
    this.running = false;
    this.#emit(consumerEvents.CRASH, { error, groupId: this.config.groupId, restart: false });
  }

  /** Hands one batch of `topic[partition]` to `eachBatch`, as kafkajs's runner does. */
  deliver(
    topic: string,
    partition: number,
    messages: readonly (number | KafkaMessage)[],
    heartbeat: () => Promise<void> = async () => {},
  ): Delivery {
    const eachBatch = this.runConfig?.eachBatch;
    if (!eachBatch) throw new Error('run() with eachBatch was not called');
    const heartbeats = { count: 0 };
    const payload = batchPayload(partition, messages, {
      topic,
      heartbeat: async () => {
        heartbeats.count += 1;
        await heartbeat();
      },
      pause: () => {
        this.paused.add(topic);
        return () => this.paused.delete(topic);
      },
      isRunning: () => this.running,
    });
    const done = eachBatch(payload);
    done.catch(() => {});
    return { done, resolved: payload.resolved, heartbeats };
  }
}

/** A kafkajs-shaped connection error (`KafkaJSConnectionError`): retried by the member. */
export function connectionError(message = 'Connection error: connect ECONNREFUSED'): Error {
  const error = new Error(message);
  error.name = 'KafkaJSConnectionError';
  return error;
}

/** A kafkajs protocol error with a `type`, e.g. `REBALANCE_IN_PROGRESS`, `SASL_AUTHENTICATION_FAILED`. */
export function protocolError(type: string, message = type): Error {
  const error = new Error(message) as Error & { type: string };
  error.name = 'KafkaJSProtocolError';
  error.type = type;
  return error;
}
