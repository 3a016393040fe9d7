/** A message on its way to a topic. */
export interface OutboundMessage {
  readonly topic: string;
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  /** Header values; middleware (tracing) adds its own here. */
  readonly headers: Record<string, string | Buffer>;
  /** Pin a partition; otherwise the key's hash (murmur2) or round robin picks one. */
  readonly partition?: number;
  readonly timestamp?: number;
}

/**
 * Wraps a send: the producer-side twin of `TaskMiddleware`. Call `next` with
 * the message (changed or not); it settles when the broker acknowledged it.
 */
export type PushMiddleware = (
  message: OutboundMessage,
  next: (message: OutboundMessage) => Promise<void>,
) => Promise<void>;

/** Composes push middleware outermost-first around `send`. */
export function composePush(
  middleware: readonly PushMiddleware[],
  send: (message: OutboundMessage) => Promise<void>,
): (message: OutboundMessage) => Promise<void> {
  // Each layer runs inside a promise, so a middleware that throws synchronously rejects instead.
  return middleware.reduceRight<(message: OutboundMessage) => Promise<void>>(
    (next, layer) => (message) => Promise.resolve().then(() => layer(message, next)),
    (message) => Promise.resolve().then(() => send(message)),
  );
}
