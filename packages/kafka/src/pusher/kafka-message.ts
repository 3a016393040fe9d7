import type { OutboundMessage } from '@tasks/core';
import type { Message } from 'kafkajs';

/** Bytes a record costs beyond its key, value and headers (attributes, deltas, lengths). */
export const recordOverheadBytes = 32;

function bytes(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

/** What a message counts toward `chunkSize`: key, value, headers and a small record overhead. */
export function messageSize(message: OutboundMessage): number {
  let size = recordOverheadBytes + bytes(message.key) + bytes(message.value);
  for (const [name, value] of Object.entries(message.headers)) size += bytes(name) + bytes(value);
  return size;
}

/**
 * core's `OutboundMessage` as a kafkajs `Message`. A message with a key and
 * no pinned partition goes where kafkajs's default (murmur2, Java-compatible)
 * partitioner puts it.
 */
export function toKafkaMessage(message: OutboundMessage): Message {
  const out: Message = {
    key: message.key ?? null,
    value: message.value,
    headers: { ...message.headers },
  };
  if (message.partition !== undefined) out.partition = message.partition;
  if (message.timestamp !== undefined) out.timestamp = String(message.timestamp);
  return out;
}
