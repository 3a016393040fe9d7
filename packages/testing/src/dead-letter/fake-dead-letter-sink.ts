import type { DeadLetter, DeadLetterSink, DeadLetterTarget } from '@tasks/core';
import type { BrokerLink } from '../broker/broker-link.js';

/**
 * `FakeTransport`'s dead-letter sink: writes each letter to the fake broker.
 * `prepare` finds a missing topic the way the Kafka sink does (auto-created
 * only when the broker auto-creates topics).
 */
export class FakeDeadLetterSink implements DeadLetterSink {
  readonly #link: BrokerLink;

  /** @internal Use `transport.deadLetters()`. */
  constructor(link: BrokerLink) {
    this.#link = link;
  }

  async prepare(target: DeadLetterTarget): Promise<void> {
    this.#link.topicForConsumer(target.topic);
  }

  async send(letter: DeadLetter): Promise<void> {
    await this.#link.produce(letter.topic, {
      key: letter.key,
      value: letter.value,
      headers: letter.headers,
    });
  }

  async close(): Promise<void> {}
}
