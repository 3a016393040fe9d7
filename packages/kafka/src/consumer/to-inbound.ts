import type { InboundMessage, MessageHeaders } from '@tasks/core';
import type { IHeaders, KafkaMessage } from 'kafkajs';

const noHeaders: MessageHeaders = Object.freeze({});

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** kafkajs gives a repeated header as an array; core keeps the last value. */
export function toHeaders(headers: IHeaders | undefined): MessageHeaders {
  let out: Record<string, Buffer> | undefined;
  // Most messages carry no headers: those share one frozen empty object.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    out ??= {};
    out[name] = toBuffer(last);
  }
  return out ?? noHeaders;
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
