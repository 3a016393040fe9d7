import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@tasks/core';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { newKafkaClient } from '../client/kafka-client.js';
import { toKafkaConfig } from '../client/kafka-config.js';
import { ensureTopics } from '../client/topics.js';
import { compressionTypes, installCodecs } from '../codecs/index.js';
import { toTransportError } from '../errors/map-error.js';
import type { ResolvedPusherOptions } from './options.js';

const noop = () => {};

/** kafkajs's schedule: `initial` doubled per attempt, capped, with ±20% jitter. */
function retryDelay(attempt: number, initialMs: number, maxMs: number): number {
  const base = Math.min(initialMs * 2 ** Math.min(attempt - 1, 30), maxMs);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

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
      // kafkajs 2.2.4 retries a send only to brokers that have not answered
      // yet: a partition whose leader moved to a broker that already answered
      // is never sent again, and the send resolves without it. So kafkajs
      // never retries a send here; `send` retries the whole batch itself.
      retry: { retries: 0 },
    });
  }

  /**
   * Sends one batch to one topic, retrying the whole batch (`clientRetry`)
   * while the failure may pass with time; rejects with a `TransportError`.
   * A retry may write again what a broker already acknowledged (at least once).
   */
  async send(topic: string, messages: Message[]): Promise<void> {
    const { brokers } = this.#options.connection;
    const { retries, initialRetryTimeMs, maxRetryTimeMs } = this.#options.client.clientRetry;
    await this.#connect();
    await this.#ensureTopic(topic);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#producer.send({
          topic,
          messages,
          acks: this.#options.acks,
          compression: compressionTypes[this.#options.compression],
        });
        return;
      } catch (error) {
        const failed = toTransportError(error, { operation: 'sending to', brokers, topic });
        if (!failed.retriable || attempt > retries) throw failed;
        const backoffMs = retryDelay(attempt, initialRetryTimeMs, maxRetryTimeMs);
        this.#logger.warn('push batch failed; sending it again', {
          topic,
          messages: messages.length,
          attempt,
          retries,
          backoffMs,
          error: failed.message,
        });
        await sleep(backoffMs);
      }
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
      ).then(
        () => undefined,
        (error: unknown) => {
          this.#topics.delete(topic);
          throw error;
        },
      );
      this.#topics.set(topic, checked);
    }
    return checked;
  }
}
