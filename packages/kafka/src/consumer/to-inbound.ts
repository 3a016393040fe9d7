import type { InboundMessage, MessageHeaders } from '@tasks/core';
import type { IHeaders, KafkaMessage } from 'kafkajs';

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** kafkajs gives a repeated header as an array; core keeps the last value. */
export function toHeaders(headers: IHeaders | undefined): MessageHeaders {
  const out: Record<string, Buffer> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = toBuffer(last);
  }
  return out;
}

/** A fetched kafkajs message as core's `InboundMessage`. */
export function toInbound(topic: string, partition: number, message: KafkaMessage): InboundMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
    headers: toHeaders(message.headers),
  };
}
