import { describe, expect, it } from 'vitest';
import {
  messageSize,
  recordOverheadBytes,
  toKafkaMessage,
} from '../../src/pusher/kafka-message.js';
import { toOutbound } from '../../src/pusher/push-options.js';

describe('outbound messages', () => {
  it('counts key, value and headers in UTF-8 bytes, plus the record overhead', () => {
    const message = toOutbound('t', 'héllo', { key: 'k', headers: { h: Buffer.from([1, 2]) } });
    expect(messageSize(message)).toBe(recordOverheadBytes + 1 + 6 + 1 + 2);
  });

  it('keeps null keys and values, pins partitions, stamps timestamps', () => {
    const message = toOutbound('t', null, { partition: 3, timestamp: 1700000000000 });
    expect(toKafkaMessage(message)).toEqual({
      key: null,
      value: null,
      headers: {},
      partition: 3,
      timestamp: '1700000000000',
    });
  });

  it('leaves the partition to the default partitioner when not pinned', () => {
    const out = toKafkaMessage(toOutbound('t', 'v', { key: 'k' }));
    expect(out).not.toHaveProperty('partition');
    expect(out.key).toBe('k');
  });

  it('copies headers so middleware changes do not leak into the caller', () => {
    const headers = { a: 'b' };
    const message = toOutbound('t', 'v', { headers });
    (message.headers as Record<string, string>).c = 'd';
    expect(headers).toEqual({ a: 'b' });
  });
});
