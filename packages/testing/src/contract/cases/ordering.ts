import { setTimeout as delay } from 'node:timers/promises';
import type { InboundMessage } from '@tasks/core';
import { expect, it } from 'vitest';
import type { Deferred } from '../../helpers/deferred.js';
import { Inbox } from '../fixture.js';
import type { CaseContext } from './shared.js';

function laneOf(message: InboundMessage): string {
  return `${message.partition}/${message.key === null ? '<null>' : message.key.toString('utf8')}`;
}

export function orderingCases({ fixture }: CaseContext): void {
  it("with ordering 'key' runs each key in offset order, one at a time, and different keys at once", async () => {
    const f = fixture();
    const topic = await f.topic(2);
    const total = 240;
    // 12 keys and keyless messages, on both partitions; every message counted by its value.
    await f.produce(
      topic,
      Array.from({ length: total }, (_, i) => ({
        key: i % 13 === 0 ? null : `key-${i % 12}`,
        value: `m-${i}`,
        partition: i % 2,
      })),
    );
    const started = new Map<string, number[]>();
    const running = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let maxPerLane = 0;
    const inbox = new Inbox();
    const consumer = await f.consumer(
      f.conf(topic, f.name('group'), { processors: 8, ordering: 'key' }),
      inbox.handler(async (m) => {
        const lane = laneOf(m);
        const list = started.get(lane) ?? [];
        started.set(lane, list);
        list.push(Number(m.offset));
        const now = (running.get(lane) ?? 0) + 1;
        running.set(lane, now);
        maxPerLane = Math.max(maxPerLane, now);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // I/O-like work of a few milliseconds, different per message.
        await delay(Number(m.offset) % 4);
        inFlight -= 1;
        running.set(lane, running.get(lane)! - 1);
      }),
    );
    await f.until(
      () => inbox.finishedValues().size >= total,
      `${total} finished messages`,
      () => `${inbox.finishedValues().size} finished`,
    );
    expect(maxPerLane).toBe(1);
    expect(maxInFlight).toBeGreaterThan(1);
    for (const [lane, offsets] of started) {
      expect(offsets, lane).toEqual([...offsets].sort((a, b) => a - b));
    }
    await consumer.transport.commit();
    const committed = await f.committed(consumer.conf.group, topic);
    expect(Object.fromEntries(committed)).toEqual({ 0: String(total / 2), 1: String(total / 2) });
  });

  it("with ordering 'partition' runs one message at a time per partition, in offset order", async () => {
    const f = fixture();
    const topic = await f.topic(2);
    const perPartition = 6;
    await f.produce(
      topic,
      Array.from({ length: perPartition * 2 }, (_, i) => ({
        key: `k-${i}`,
        value: `m-${i}`,
        partition: i % 2,
      })),
    );
    const held: Deferred[] = [];
    const running = new Map<number, number>();
    let maxPerPartition = 0;
    const inbox = new Inbox();
    await f.consumer(
      f.conf(topic, f.name('group'), { processors: 4, ordering: 'partition' }),
      inbox.handler(async (m) => {
        const now = (running.get(m.partition) ?? 0) + 1;
        running.set(m.partition, now);
        maxPerPartition = Math.max(maxPerPartition, now);
        const gate = f.gate();
        held.push(gate);
        await gate.promise;
        running.set(m.partition, (running.get(m.partition) ?? 1) - 1);
      }),
    );
    while (inbox.finished.length < perPartition * 2) {
      await f.until(
        () => held.length > 0 || inbox.finished.length >= perPartition * 2,
        'a handler to start',
        () => `${inbox.finished.length} finished`,
      );
      for (const gate of held.splice(0)) gate.resolve();
    }
    expect(maxPerPartition).toBe(1);
    for (const partition of [0, 1]) {
      const order = inbox.received.filter((m) => m.partition === partition).map((m) => m.offset);
      expect(order).toEqual(Array.from({ length: perPartition }, (_, i) => String(i)));
    }
  });

  it('with commitInOrder (go-queue compatibility) still runs messages of one partition at once', async () => {
    const f = fixture();
    const topic = await f.topic(1);
    await f.produce(
      topic,
      Array.from({ length: 4 }, (_, i) => ({ value: `m-${i}`, partition: 0 })),
    );
    const held: Deferred[] = [];
    const inbox = new Inbox();
    const consumer = await f.consumer(
      f.conf(topic, f.name('group'), { processors: 4, commitInOrder: true }),
      inbox.handler(async () => {
        const gate = f.gate();
        held.push(gate);
        await gate.promise;
      }),
    );
    await f.until(() => held.length === 4, 'four runs of one partition in flight at once');
    // The last finishes first: nothing is committed past the unfinished ones.
    held[3]!.resolve();
    await f.until(() => inbox.finished.length === 1, 'the last run to finish');
    await consumer.transport.commit();
    expect((await f.committed(consumer.conf.group, topic)).get(0)).toBeUndefined();
    for (const gate of held) gate.resolve();
    await f.until(() => inbox.finished.length === 4, 'every run to finish');
    await consumer.transport.commit();
    expect((await f.committed(consumer.conf.group, topic)).get(0)).toBe('4');
  });
}
