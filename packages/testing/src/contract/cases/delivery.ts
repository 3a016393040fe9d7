import { expect, it } from 'vitest';
import { partitionForKey } from '../../broker/partitioner.js';
import type { HarnessMessage } from '../../harness/types.js';
import { Inbox, valueText } from '../fixture.js';
import { type CaseContext, hex } from './shared.js';

export function deliveryCases({ fixture }: CaseContext): void {
  it('delivers every message exactly as produced, with its coordinates', async () => {
    const f = fixture();
    const topic = await f.topic(1);
    const stamped = 1_700_000_000_123;
    const sent: HarnessMessage[] = [
      {
        key: 'order-1',
        value: 'plain ascii',
        headers: { 'x-trace': 'abc', 'x-bytes': Buffer.from([1, 0, 255]) },
      },
      { key: null, value: 'no key' },
      {
        key: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        // Not valid UTF-8: must arrive byte for byte, not through a string.
        value: Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a]),
      },
      { key: 'ключ-🔑', value: 'héllo wörld, 日本語 🚀' },
      { key: 'tombstone', value: null },
      { key: 'stamped', value: 'explicit timestamp', timestamp: stamped },
    ];
    const before = Date.now();
    await f.produce(topic, sent);
    const inbox = new Inbox();
    await f.consumer(f.conf(topic, f.name('group')), inbox.handler());
    await f.until(
      () => inbox.received.length >= sent.length,
      `${sent.length} messages`,
      () => `received ${inbox.received.length}`,
    );

    expect(inbox.received).toHaveLength(sent.length);
    inbox.received.forEach((message, i) => {
      const expected = sent[i]!;
      expect({
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
      }).toEqual({
        topic,
        partition: 0,
        offset: String(i),
      });
      expect(hex(message.key)).toBe(hex(expected.key));
      expect(hex(message.value)).toBe(hex(expected.value));
      const headers = Object.fromEntries(
        Object.entries(message.headers).map(([name, value]) => [name, hex(value)]),
      );
      const expectedHeaders = Object.fromEntries(
        Object.entries(expected.headers ?? {}).map(([name, value]) => [name, hex(value)]),
      );
      expect(headers).toEqual(expectedHeaders);
      expect(Number.isFinite(message.timestamp)).toBe(true);
      if (expected.timestamp !== undefined) {
        expect(message.timestamp).toBe(expected.timestamp);
      } else {
        // The producer stamps create time in ms (allow for clock skew, not for seconds or zero).
        expect(message.timestamp).toBeGreaterThan(before - 5 * 60_000);
        expect(message.timestamp).toBeLessThan(Date.now() + 5 * 60_000);
      }
    });
    expect(valueText(inbox.received[3]!)).toBe('héllo wörld, 日本語 🚀');
    expect(inbox.received[4]!.value).toBeNull();
    expect(inbox.received[1]!.key).toBeNull();
  });

  it('puts keyed messages on the partitions the Java client picks (murmur2)', async () => {
    const f = fixture();
    const partitions = 6;
    const topic = await f.topic(partitions);
    const keys = [
      '0',
      '1',
      '128',
      '2187',
      '16384',
      '78125',
      '21',
      'foobar',
      'abc',
      'user-42',
      'ключ',
    ];
    const sent: HarnessMessage[] = keys.flatMap((key) => [
      { key, value: `${key}#0` },
      { key, value: `${key}#1` },
    ]);
    await f.produce(topic, sent);
    const inbox = new Inbox();
    await f.consumer(f.conf(topic, f.name('group')), inbox.handler());
    await f.until(
      () => inbox.received.length >= sent.length,
      `${sent.length} keyed messages`,
      () => `received ${inbox.received.length}`,
    );

    const used = new Set<number>();
    for (const message of inbox.received) {
      const key = message.key!.toString('utf8');
      expect({ key, partition: message.partition }).toEqual({
        key,
        partition: partitionForKey(key, partitions),
      });
      used.add(message.partition);
    }
    expect(used.size).toBeGreaterThan(1);
    // One key, one partition: its messages keep their order.
    for (const key of keys) {
      const mine = inbox.received.filter((m) => m.key!.toString('utf8') === key);
      expect(mine.map(valueText)).toEqual([`${key}#0`, `${key}#1`]);
      expect(Number(mine[1]!.offset)).toBeGreaterThan(Number(mine[0]!.offset));
    }
  });
}
