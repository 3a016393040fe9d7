import type { OutboundMessage } from '@tasks/core';

/** Per-message settings of a push. */
export interface PushOptions {
  /** The message key; messages with one key land on one partition (murmur2, as Java does). */
  readonly key?: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Pin a partition instead of hashing the key. */
  readonly partition?: number;
  /** Milliseconds since the epoch; the broker's time when absent. */
  readonly timestamp?: number;
}

/** The message a push builds before middleware sees it. */
export function toOutbound(
  topic: string,
  value: string | Buffer | null,
  options: PushOptions,
): OutboundMessage {
  return {
    topic,
    value,
    key: options.key ?? null,
    headers: { ...options.headers },
    ...(options.partition === undefined ? {} : { partition: options.partition }),
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  };
}
