import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { type InboundMessage, silentLogger, type Transport } from '@tasks/core';
import { KafkaTransport, type KafkaTransportOptions, replayDeadLetters } from '@tasks/kafka';
import { type TransportHarness, uniqueName } from '@tasks/testing';
import {
  type Admin,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { CrashableSockets } from './crashable-sockets.js';
import {
  brokers,
  requireKafka,
  requireSaslKafka,
  requireTlsKafka,
  saslBrokers,
  saslPlain,
  tlsBrokers,
  tlsCaFile,
} from './kafka-env.js';

/** Transport options for tests: a short session so a crashed member leaves the group fast. */
export const testTransportOptions = {
  logger: silentLogger,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  commitIntervalMs: 200,
  reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
  // A killed transport gives up on a request in seconds, not kafkajs's default half minute.
  clientRetry: { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 2_000 },
} as const satisfies KafkaTransportOptions;

/** Where a test client connects, and the check that fails the run when it cannot. */
export interface TestConnection {
  readonly brokers: readonly string[];
  readonly sasl?: SASLOptions;
  /** kafkajs TLS options; read when the client is made (after `require`). */
  readonly ssl?: () => ConnectionOptions;
  readonly require: () => Promise<void>;
}

/** The PLAINTEXT listener (`KAFKA_BROKERS`). */
export const plaintextConnection: TestConnection = { brokers, require: requireKafka };

/** The SASL/PLAIN listener of the same cluster, as the test user (`KAFKA_SASL_BROKERS`). */
export const saslConnection: TestConnection = {
  brokers: saslBrokers,
  sasl: saslPlain,
  require: requireSaslKafka,
};

/** The TLS listener of the same cluster, trusting kafka.sh's CA (`KAFKA_TLS_BROKERS`, `KAFKA_TLS_CA`). */
export const tlsConnection: TestConnection = {
  brokers: tlsBrokers,
  ssl: () => ({ ca: [readFileSync(tlsCaFile(), 'utf8')] }),
  require: requireTlsKafka,
};

/** A kafkajs admin and producer for test setup and checks, with the topics they made. */
export class KafkaTestClient {
  readonly admin: Admin;
  readonly producer: Producer;
  readonly #topics = new Set<string>();
  readonly #connection: TestConnection;

  constructor(connection: TestConnection = plaintextConnection) {
    this.#connection = connection;
    const kafka = new Kafka({
      clientId: 'tasks-kafka-tests',
      brokers: [...connection.brokers],
      ...(connection.sasl ? { sasl: connection.sasl } : {}),
      ...(connection.ssl ? { ssl: connection.ssl() } : {}),
      logLevel: logLevel.NOTHING,
    });
    this.admin = kafka.admin();
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    await this.#connection.require();
    await Promise.all([this.admin.connect(), this.producer.connect()]);
  }

  /** Creates a topic (deleted again by `close`). */
  async createTopic(topic: string, partitions: number): Promise<void> {
    this.#topics.add(topic);
    await this.admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  }

  /** Remembers a topic something else created, to delete it at the end. */
  own(topic: string): void {
    this.#topics.add(topic);
  }

  async committed(group: string, topic: string): Promise<Map<number, string>> {
    const [found] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    const out = new Map<number, string>();
    for (const { partition, offset } of found?.partitions ?? []) {
      if (offset !== '-1') out.set(partition, offset);
    }
    return out;
  }

  async topicExists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  async close(): Promise<void> {
    const topics = [...this.#topics];
    if (topics.length > 0) await this.admin.deleteTopics({ topics }).catch(() => {});
    await Promise.allSettled([this.admin.disconnect(), this.producer.disconnect()]);
  }
}

/**
 * The transport contract harness on a real broker: topics and groups with
 * unique names, produce through kafkajs (murmur2 partitioner, like Java), and
 * `crash` cuts a transport's sockets so it can neither commit nor leave the
 * group (the broker drops it after the session timeout).
 */
export async function createKafkaHarness(
  options: KafkaTransportOptions = {},
): Promise<TransportHarness> {
  const client = new KafkaTestClient();
  await client.connect();
  const sockets = new WeakMap<Transport, CrashableSockets>();
  const crashed: Array<{ transport: Transport }> = [];
  return {
    brokers,
    createTopic: (topic, partitions) => client.createTopic(topic, partitions),
    async produce(topic, messages) {
      const out: Message[] = messages.map((m) => ({
        key: m.key ?? null,
        value: m.value,
        headers: { ...m.headers },
        ...(m.partition === undefined ? {} : { partition: m.partition }),
        ...(m.timestamp === undefined ? {} : { timestamp: String(m.timestamp) }),
      }));
      await client.producer.send({ topic, messages: out, acks: -1 });
    },
    newTransport() {
      const crashable = new CrashableSockets();
      const transport = new KafkaTransport({
        ...testTransportOptions,
        ...options,
        socketFactory: crashable.factory,
      });
      sockets.set(transport, crashable);
      return transport;
    },
    committedOffsets: (group, topic) => client.committed(group, topic),
    readTopic: (topic) => readTopic(client, topic),
    async refuseWrites(topic) {
      // The broker refuses any batch larger than max.message.bytes (MESSAGE_TOO_LARGE).
      await setTopicConfig(client.admin, topic, 'max.message.bytes', '10');
      return () => setTopicConfig(client.admin, topic, 'max.message.bytes', '1048588');
    },
    replay: (topic, replayOptions) =>
      replayDeadLetters({ brokers, topic, logger: silentLogger, ...replayOptions }),
    async crash(transport) {
      const crashable = sockets.get(transport);
      if (!crashable)
        throw new Error(`the Kafka harness did not make transport "${transport.name}"`);
      crashable.kill();
      // Its handlers may be held until the case ends; stop it (it can commit nothing) at cleanup.
      crashed.push({ transport });
    },
    uniqueName,
    async cleanup() {
      await Promise.allSettled(crashed.map(({ transport }) => transport.stop()));
      await client.close();
    },
  };
}

/** Sets one topic config and waits until the broker reports it. */
async function setTopicConfig(admin: Admin, topic: string, name: string, value: string) {
  const resource = { type: ConfigResourceTypes.TOPIC, name: topic };
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ ...resource, configEntries: [{ name, value }] }],
  });
  for (let i = 0; i < 100; i++) {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ ...resource, configNames: [name] }],
    });
    if (resources[0]?.configEntries.find((e) => e.configName === name)?.configValue === value)
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`topic ${topic}: ${name} never became ${value}`);
}

/** Every record of a topic up to its end offsets now, by partition then offset. */
async function readTopic(client: KafkaTestClient, topic: string): Promise<InboundMessage[]> {
  const offsets = await client.admin.fetchTopicOffsets(topic);
  const remaining = new Map(
    offsets
      .filter((o) => BigInt(o.high) > BigInt(o.low))
      .map((o) => [o.partition, BigInt(o.high)] as const),
  );
  const out: InboundMessage[] = [];
  if (remaining.size === 0) return out;
  const kafka = new Kafka({
    clientId: 'tasks-read',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const groupId = uniqueName('read-topic');
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const done = Promise.withResolvers<void>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = remaining.get(partition);
        if (end === undefined || BigInt(message.offset) >= end) return;
        const headers: Record<string, Buffer> = {};
        for (const [name, raw] of Object.entries(message.headers ?? {})) {
          const last = Array.isArray(raw) ? raw.at(-1) : raw;
          if (last !== undefined) headers[name] = Buffer.from(last);
        }
        out.push({
          topic,
          partition,
          offset: message.offset,
          timestamp: Number(message.timestamp),
          key: message.key ?? null,
          value: message.value ?? null,
          headers,
        });
        if (BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) done.resolve();
        }
      },
    });
    await done.promise;
  } finally {
    await consumer.disconnect().catch(() => {});
    await client.admin.deleteGroups([groupId]).catch(() => {});
  }
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}
