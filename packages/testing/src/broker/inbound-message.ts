import type { InboundMessage } from '@tasks/core';
import type { StoredRecord } from './types.js';

const noHeaders: Readonly<Record<string, Buffer>> = Object.freeze({});

function copyHeaders(stored: Readonly<Record<string, Buffer>>): Readonly<Record<string, Buffer>> {
  let headers: Record<string, Buffer> | undefined;
  for (const name in stored) {
    headers ??= {};
    headers[name] = Buffer.from(stored[name]!);
  }
  return headers ? Object.freeze(headers) : noHeaders;
}

/** The message a consumer receives for a stored record; every Buffer is a fresh copy. */
export function toInboundMessage(
  topic: string,
  partition: number,
  record: StoredRecord,
): InboundMessage {
  const headers = copyHeaders(record.headers);
  return {
    topic,
    partition,
    offset: String(record.offset),
    timestamp: record.timestamp,
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers,
  };
}
