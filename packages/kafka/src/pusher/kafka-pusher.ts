import { createConsoleLogger } from '@tasks/core';
import { show } from '../client/client-options.js';
import { checkTopic, type PusherOptions, resolvePusherOptions } from './options.js';
import { type PushOptions, toOutbound } from './push-options.js';
import { PushRouter } from './push-router.js';

/** Options of `KafkaPusher`: the shared pusher options and the one topic it writes to. */
export interface KafkaPusherOptions extends PusherOptions {
  readonly topic: string;
  /**
   * Wrap each value in gopkg's `kqkafka` envelope
   * (`{"carrier":{"Traceparent":[...]},"body":"..."}`) for Go `kqkafka`
   * consumers. W3C headers are written either way. Default false.
   */
  readonly envelope?: boolean;
}

/**
 * go-queue's `kq.Pusher`: pushes to one topic, batching by size and time.
 * Unlike the original, a failed send reaches the caller: the push's promise
 * rejects with a `TransportError` of code `TASKS_PUSH_FAILED`.
 *
 * ```ts
 * const pusher = new KafkaPusher({ brokers: ['127.0.0.1:9092'], topic: 'orders' });
 * await pusher.push(JSON.stringify(order), { key: order.id });
 * await pusher.close();
 * ```
 */
export class KafkaPusher {
  readonly topic: string;
  readonly #router: PushRouter;

  /** Throws a `ConfigError` naming each bad field and value, before anything connects. */
  constructor(options: KafkaPusherOptions) {
    const resolved = resolvePusherOptions(options, 'kafkaPusher', (problems) => {
      checkTopic(problems, 'topic', options.topic);
      if (options.envelope !== undefined && typeof options.envelope !== 'boolean') {
        problems.add('envelope', `must be true or false, got ${show(options.envelope)}`);
      }
    });
    this.topic = options.topic;
    const envelope = options.envelope === true;
    this.#router = new PushRouter(
      resolved,
      options.logger ?? createConsoleLogger(),
      () => envelope,
    );
  }

  /** Sends one message; resolves when the brokers acknowledged its batch. */
  push(value: string | Buffer | null, options: PushOptions = {}): Promise<void> {
    return this.#router.push(toOutbound(this.topic, value, options));
  }

  /** Sends what is buffered without waiting for the flush interval. */
  flush(): Promise<void> {
    return this.#router.flush();
  }

  /** Flushes every accepted push and disconnects; later pushes reject. */
  close(): Promise<void> {
    return this.#router.close();
  }
}
