import {
  applyKafkaEnv,
  type DeadLetter,
  type DeadLetterSink,
  type DeadLetterTarget,
  type Logger,
  type ResolvedKqConf,
} from '@tasks/core';
import type { Kafka } from 'kafkajs';
import { newKafkaClient } from '../client/kafka-client.js';
import { type ConnectionSettings, toKafkaConfig } from '../client/kafka-config.js';
import { ensureTopics } from '../client/topics.js';
import type { ResolvedTransportOptions } from '../consumer/options.js';
import { kafkaPusherDefaults } from '../pusher/options.js';
import { ProducerLink } from '../pusher/producer-link.js';

interface Connection {
  readonly settings: ConnectionSettings;
  readonly link: ProducerLink;
  /** The same brokers without kafkajs's retries: the start check fails fast and is retried (and logged) by the server. */
  readonly probe: Kafka;
}

/**
 * `KafkaTransport`'s dead-letter sink: one producer per set of brokers and
 * credentials the confs name (the pusher's `ProducerLink`), every letter
 * acknowledged by all in-sync replicas (`acks: -1`), in the conf's
 * `compression` (none when it names none). It never creates a topic by
 * producing to it; `createTopics` on the transport makes a missing one at start.
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  readonly #options: ResolvedTransportOptions;
  readonly #logger: Logger;
  readonly #connections = new Map<string, Connection>();

  /** @internal Use `transport.deadLetters()`. */
  constructor(options: ResolvedTransportOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
  }

  async prepare(target: DeadLetterTarget): Promise<void> {
    const { settings, probe } = this.#connection(target.conf);
    await ensureTopics(
      probe,
      [target.topic],
      this.#options.createTopics,
      { brokers: settings.brokers, label: '' },
      this.#logger,
    );
  }

  async send(letter: DeadLetter): Promise<void> {
    const { link } = this.#connection(letter.conf);
    await link.send(letter.topic, [
      { key: letter.key, value: letter.value, headers: { ...letter.headers } },
    ]);
  }

  async close(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(connections.map((c) => c.link.close()));
  }

  #connection(conf: ResolvedKqConf): Connection {
    const env = this.#options.env;
    const source = env ? applyKafkaEnv(conf, env) : conf;
    const settings: ConnectionSettings = {
      brokers: source.brokers,
      caFile: source.caFile,
      username: source.username,
      password: source.password,
    };
    const id = JSON.stringify([
      settings.brokers,
      settings.caFile,
      settings.username,
      settings.password,
      conf.compression,
    ]);
    let found = this.#connections.get(id);
    if (found === undefined) {
      const config = toKafkaConfig(settings, this.#options, this.#logger);
      found = {
        settings,
        probe: newKafkaClient({ ...config, retry: { ...config.retry, retries: 0 } }),
        link: new ProducerLink(
          {
            connection: settings,
            client: this.#options,
            chunkSize: kafkaPusherDefaults.chunkSize,
            flushIntervalMs: 0,
            acks: -1,
            compression: conf.compression ?? 'none',
            middleware: [],
          },
          this.#logger,
        ),
      };
      this.#connections.set(id, found);
    }
    return found;
  }
}
