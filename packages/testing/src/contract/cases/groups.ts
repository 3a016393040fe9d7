import { expect, it } from 'vitest';
import type { HarnessMessage } from '../../harness/types.js';
import type { Consumer } from '../fixture.js';
import { Inbox } from '../fixture.js';
import { type CaseContext, ids, missing } from './shared.js';

function batch(prefix: string, count: number, partitions: number): HarnessMessage[] {
  return ids(prefix, count).map((value, i) => ({ value, partition: i % partitions }));
}

function splitsEvenly(a: Consumer, b: Consumer, partitions: number): boolean {
  const mine = a.partitions();
  const theirs = b.partitions();
  const union = new Set([...mine, ...theirs]);
  return (
    mine.length > 0 &&
    theirs.length > 0 &&
    mine.every((p) => !theirs.includes(p)) &&
    union.size === partitions
  );
}

export function groupCases({ fixture }: CaseContext): void {
  it('splits the partitions of a topic between two transports of one group', async () => {
    const f = fixture();
    const partitions = 4;
    const topic = await f.topic(partitions);
    const group = f.name('group');
    const inboxA = new Inbox();
    const inboxB = new Inbox();
    const a = await f.consumer(f.conf(topic, group), inboxA.handler());
    const b = await f.consumer(f.conf(topic, group), inboxB.handler());
    await f.until(
      () => splitsEvenly(a, b, partitions),
      'two disjoint, non-empty assignments covering every partition',
      () => `A owns [${a.partitions().join(', ')}], B owns [${b.partitions().join(', ')}]`,
    );

    const all = ids('m', 40);
    await f.produce(topic, batch('m', 40, partitions));
    const seen = () => new Set([...inboxA.finishedValues(), ...inboxB.finishedValues()]);
    await f.until(
      () => all.every((id) => seen().has(id)),
      'every message, handled by one member or the other',
      () => missing(all, seen()),
    );

    // Each member only got messages of partitions it owns.
    const gotA = new Set(inboxA.received.map((m) => m.partition));
    const gotB = new Set(inboxB.received.map((m) => m.partition));
    expect([...gotA].every((p) => a.partitions().includes(p))).toBe(true);
    expect([...gotB].every((p) => b.partitions().includes(p))).toBe(true);
    expect(gotA.size).toBeGreaterThan(0);
    expect(gotB.size).toBeGreaterThan(0);
  });

  it('loses nothing when a second member joins mid-stream', async () => {
    const f = fixture();
    const partitions = 3;
    const topic = await f.topic(partitions);
    const group = f.name('group');
    const gate = f.gate();
    const inboxA = new Inbox();
    // A finishes the first two messages of each partition and then holds
    // the rest, so the rebalance happens with runs in flight.
    const a = await f.consumer(
      f.conf(topic, group, { processors: 16 }),
      inboxA.handler((m) => (Number(m.offset) >= 2 ? gate.promise : undefined)),
    );
    await f.produce(topic, batch('first', 30, partitions));
    await f.until(
      () => inboxA.received.length >= 16,
      'the first member to be busy with the first batch',
      () => `received ${inboxA.received.length}`,
    );

    const inboxB = new Inbox();
    const b = await f.consumer(f.conf(topic, group), inboxB.handler());
    await b.assignments.waitForAssignment(group, topic);
    gate.resolve();
    await f.produce(topic, batch('second', 30, partitions));

    const all = [...ids('first', 30), ...ids('second', 30)];
    const seen = () => new Set([...inboxA.finishedValues(), ...inboxB.finishedValues()]);
    await f.until(
      () => all.every((id) => seen().has(id)),
      'every message of both batches to be handled',
      () => missing(all, seen()),
    );
    expect(inboxB.finished.length).toBeGreaterThan(0);

    await f.stop(a);
    await f.stop(b);
    expect(new Map(await f.committed(group, topic))).toEqual(
      new Map(Array.from({ length: partitions }, (_, p) => [p, '20'])),
    );
  });
}
