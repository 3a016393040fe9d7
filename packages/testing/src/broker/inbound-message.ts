import type { InboundMessage } from '@tasks/core';
import type { StoredRecord } from './types.js';

/** The message a consumer receives for a stored record; every Buffer is a fresh copy. */
export function toInboundMessage(
  topic: string,
  partition: number,
  record: StoredRecord,
): InboundMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) headers[name] = Buffer.from(value);
  return {
    topic,
    partition,
    offset: String(record.offset),
    timestamp: record.timestamp,
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers: Object.freeze(headers),
  };
}
