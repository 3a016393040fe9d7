import {
  ErrorCodes,
  type Logger,
  type OutboundMessage,
  StateError,
  TransportError,
} from '@tasks/core';
import { composePush } from '@tasks/core/transport';
import { toTransportError } from '../errors/map-error.js';
import { ChunkBatcher } from './chunk-batcher.js';
import { toEnvelope } from './envelope.js';
import { messageSize, toKafkaMessage } from './kafka-message.js';
import type { ResolvedPusherOptions } from './options.js';
import { ProducerLink } from './producer-link.js';

/** The error a caller's push rejects with; `cause` is the `TransportError` saying why. */
export function pushFailed(error: unknown, topic: string, count: number): TransportError {
  const inner = toTransportError(error, { operation: 'pushing to', topic });
  return new TransportError(
    ErrorCodes.PushFailed,
    `push of ${count} message(s) to topic "${topic}" failed: ${inner.message}`,
    { cause: inner, retriable: inner.retriable },
  );
}

/**
 * The machinery behind both pushers: middleware around each message, one
 * batcher per topic, one shared producer. Accepted pushes are always settled:
 * `close()` flushes them before disconnecting.
 */
export class PushRouter {
  readonly #options: ResolvedPusherOptions;
  readonly #link: ProducerLink;
  readonly #channels = new Map<string, ChunkBatcher<OutboundMessage>>();
  readonly #send: (message: OutboundMessage) => Promise<void>;
  readonly #inFlight = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;

  /**
   * `envelope` says which topics get gopkg's envelope; it wraps each value
   * after the middleware, so the carrier holds the PRODUCER span tracing made.
   */
  constructor(
    options: ResolvedPusherOptions,
    logger: Logger,
    envelope: (topic: string) => boolean = () => false,
  ) {
    this.#options = options;
    this.#link = new ProducerLink(options, logger);
    this.#send = composePush(options.middleware, (message) =>
      this.#enqueue(envelope(message.topic) ? toEnvelope(message) : message),
    );
  }

  /** Runs the middleware and buffers the message; settles when its batch was acknowledged. */
  push(message: OutboundMessage): Promise<void> {
    if (this.#closing) {
      return Promise.reject(new StateError('push() after close(): create a new pusher'));
    }
    const run = Promise.resolve().then(() => this.#send(message));
    this.#inFlight.add(run);
    const forget = () => this.#inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** Sends everything buffered; resolves once every batch so far has settled. */
  async flush(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((channel) => channel.flush()));
  }

  /** Flushes every accepted push, then disconnects. Later pushes reject. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#inFlight.size > 0) {
        await this.flush();
        await Promise.allSettled([...this.#inFlight]);
      }
      await this.flush();
      await this.#link.close();
    })();
    return this.#closing;
  }

  #enqueue(message: OutboundMessage): Promise<void> {
    let channel = this.#channels.get(message.topic);
    if (!channel) {
      const topic = message.topic;
      channel = new ChunkBatcher<OutboundMessage>({
        chunkSize: this.#options.chunkSize,
        flushIntervalMs: this.#options.flushIntervalMs,
        sizeOf: messageSize,
        send: (items) =>
          this.#link.send(topic, items.map(toKafkaMessage)).catch((error: unknown) => {
            throw pushFailed(error, topic, items.length);
          }),
      });
      this.#channels.set(topic, channel);
    }
    const added = channel.add(message);
    if (this.#closing) void channel.flush();
    return added;
  }
}
