import type { Logger } from '@tasks/core';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { newKafkaClient } from '../client/kafka-client.js';
import { toKafkaConfig } from '../client/kafka-config.js';
import { ensureTopics } from '../client/topics.js';
import { compressionTypes, installCodecs } from '../codecs/index.js';
import { toTransportError } from '../errors/map-error.js';
import type { ResolvedPusherOptions } from './options.js';

const noop = () => {};

/**
 * One kafkajs producer shared by every topic a pusher writes to. It connects
 * on the first send, checks (or creates) each topic once before writing to
 * it, and turns kafkajs failures into `TransportError`s.
 */
export class ProducerLink {
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  readonly #options: ResolvedPusherOptions;
  readonly #logger: Logger;
  readonly #topics = new Map<string, Promise<void>>();
  #connected: Promise<void> | undefined;

  constructor(options: ResolvedPusherOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
    installCodecs();
    this.#kafka = newKafkaClient(toKafkaConfig(options.connection, options.client, logger));
    this.#producer = this.#kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: false,
    });
  }

  /** Sends one batch to one topic; rejects with a `TransportError`. */
  async send(topic: string, messages: Message[]): Promise<void> {
    const { brokers } = this.#options.connection;
    await this.#connect();
    await this.#ensureTopic(topic);
    try {
      await this.#producer.send({
        topic,
        messages,
        acks: this.#options.acks,
        compression: compressionTypes[this.#options.compression],
      });
    } catch (error) {
      throw toTransportError(error, { operation: 'sending to', brokers, topic });
    }
  }

  /** Disconnects (after a connect still in flight settles). */
  async close(): Promise<void> {
    const connected = this.#connected;
    if (!connected) return;
    await connected.catch(noop);
    await this.#producer.disconnect().catch(noop);
  }

  #connect(): Promise<void> {
    this.#connected ??= this.#producer.connect().catch((error: unknown) => {
      this.#connected = undefined;
      throw toTransportError(error, {
        operation: 'connecting the producer',
        brokers: this.#options.connection.brokers,
      });
    });
    return this.#connected;
  }

  #ensureTopic(topic: string): Promise<void> {
    let checked = this.#topics.get(topic);
    if (!checked) {
      const { client, connection } = this.#options;
      checked = ensureTopics(
        this.#kafka,
        [topic],
        client.createTopics,
        { brokers: connection.brokers, label: '' },
        this.#logger,
      ).catch((error: unknown) => {
        this.#topics.delete(topic);
        throw error;
      });
      this.#topics.set(topic, checked);
    }
    return checked;
  }
}
