import type { TransportEvent } from '@tasks/core';
import { createDeferred, FakeBroker, trackAssignments, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { confFor, recorder } from './support.js';

function setup(partitions: number) {
  const broker = new FakeBroker();
  broker.createTopic('t', { partitions });
  return broker;
}

describe('consumer group assignment', () => {
  it('gives a lone member every partition and says so', async () => {
    const broker = setup(3);
    const transport = broker.transport();
    const events: TransportEvent[] = [];
    transport.onEvent((e) => events.push(e));
    transport.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await transport.start();
    expect(transport.assignedPartitions()).toEqual([0, 1, 2]);
    expect(events).toEqual([{ type: 'assigned', group: 'g', topic: 't', partitions: [0, 1, 2] }]);
    expect(broker.groupMembers('g')).toEqual([
      { memberId: transport.memberIds[0], topic: 't', partitions: [0, 1, 2] },
    ]);
    await transport.stop();
  });

  it('splits partitions by range between members in join order', async () => {
    const broker = setup(5);
    const a = broker.transport();
    const b = broker.transport();
    a.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    b.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await a.start();
    await b.start();
    expect(a.assignedPartitions()).toEqual([0, 1, 2]);
    expect(b.assignedPartitions()).toEqual([3, 4]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('opens conf.conns members per conf', async () => {
    const broker = setup(4);
    const transport = broker.transport({ clientId: 'worker' });
    transport.subscribe(confFor(broker, 't', 'g', { conns: 3 }), recorder().handler);
    await transport.start();
    expect(transport.memberIds).toHaveLength(3);
    expect(transport.memberIds.every((id) => id.startsWith('worker-'))).toBe(true);
    expect(broker.groupMembers('g').map((m) => m.partitions)).toEqual([[0, 1], [2], [3]]);
    await transport.stop();
  });

  it('leaves a member with nothing when there are more members than partitions', async () => {
    const broker = setup(1);
    const a = broker.transport();
    const b = broker.transport();
    a.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    b.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await a.start();
    await b.start();
    expect([a.assignedPartitions(), b.assignedPartitions()]).toEqual([[0], []]);
    await a.stop();
    expect(b.assignedPartitions()).toEqual([0]);
    await b.stop();
  });

  it('assigns each topic of a group among the members subscribed to it', async () => {
    const broker = setup(2);
    broker.createTopic('u', { partitions: 3 });
    const transport = broker.transport();
    transport.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    transport.subscribe(confFor(broker, 'u', 'g'), recorder().handler);
    await transport.start();
    expect(transport.assignedPartitions('t')).toEqual([0, 1]);
    expect(transport.assignedPartitions('u')).toEqual([0, 1, 2]);
    await transport.stop();
  });

  it('keeps groups apart: each group reads every message and commits on its own', async () => {
    const broker = setup(1);
    await broker.produce('t', [{ value: 'a' }, { value: 'b' }]);
    const one = recorder();
    const two = recorder();
    const a = broker.transport();
    const b = broker.transport();
    a.subscribe(confFor(broker, 't', 'one'), one.handler);
    b.subscribe(confFor(broker, 't', 'two'), two.handler);
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => one.finished.length === 2 && two.finished.length === 2);
    await a.stop();
    expect(broker.committedOffsets('one', 't')).toEqual(new Map([[0, 2]]));
    // Group "two" commits on its own schedule, whatever group "one" does.
    await waitFor(() => broker.committedOffsets('two', 't').get(0) === 2);
    await b.stop();
  });
});

describe('start offsets', () => {
  it("reads from the beginning with offset 'first' and from the end with 'last'", async () => {
    const broker = setup(1);
    await broker.produce('t', [{ value: 'old' }]);
    const first = recorder();
    const last = recorder();
    const a = broker.transport();
    const b = broker.transport();
    a.subscribe(confFor(broker, 't', 'first', { offset: 'first' }), first.handler);
    b.subscribe(confFor(broker, 't', 'last', { offset: 'last' }), last.handler);
    await Promise.all([a.start(), b.start()]);
    await broker.produce('t', [{ value: 'new' }]);
    await waitFor(() => first.finished.length === 2 && last.finished.length === 1);
    expect(first.values()).toEqual(['old', 'new']);
    expect(last.values()).toEqual(['new']);
    await Promise.all([a.stop(), b.stop()]);
  });

  it("resumes from the group's commit whatever the offset setting", async () => {
    const broker = setup(1);
    await broker.produce('t', [{ value: 'a' }, { value: 'b' }]);
    const before = recorder();
    const a = broker.transport();
    a.subscribe(confFor(broker, 't', 'g', { offset: 'first' }), before.handler);
    await a.start();
    await waitFor(() => before.finished.length === 2);
    await a.stop();
    await broker.produce('t', [{ value: 'c' }, { value: 'd' }]);

    const after = recorder();
    const b = broker.transport();
    b.subscribe(confFor(broker, 't', 'g', { offset: 'last' }), after.handler);
    await b.start();
    await waitFor(() => after.finished.length === 2);
    expect(after.values()).toEqual(['c', 'd']);
    await b.stop();
  });
});

describe('rebalancing', () => {
  it('commits what the old owner finished before the new owner starts', async () => {
    const broker = setup(2);
    await broker.produce(
      't',
      Array.from({ length: 6 }, (_, i) => ({ value: `m${i}`, partition: 1 })),
    );
    const first = recorder();
    const a = broker.transport({ autoCommit: false });
    const events: TransportEvent[] = [];
    a.onEvent((e) => events.push(e));
    a.subscribe(confFor(broker, 't', 'g'), first.handler);
    await a.start();
    await waitFor(() => first.finished.length === 6);
    expect(broker.committedOffsets('g', 't').size).toBe(0);

    const second = recorder();
    const b = broker.transport();
    b.subscribe(confFor(broker, 't', 'g'), second.handler);
    await b.start();
    expect(b.assignedPartitions()).toEqual([1]);
    expect(broker.committedOffsets('g', 't')).toEqual(new Map([[1, 6]]));
    expect(events.filter((e) => e.type === 'revoked')).toEqual([
      { type: 'revoked', group: 'g', topic: 't', partitions: [1] },
    ]);
    await broker.produce('t', { value: 'm6', partition: 1 });
    await waitFor(() => second.finished.length === 1);
    expect(second.values()).toEqual(['m6']);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('drops the result of a run still in flight on a revoked partition; the new owner redoes it', async () => {
    const broker = setup(2);
    await broker.produce('t', [
      { value: 'p1-0', partition: 1 },
      { value: 'p1-1', partition: 1 },
    ]);
    const gate = createDeferred();
    const first = recorder((m) => (m.offset === '1' ? gate.promise : undefined));
    const a = broker.transport();
    a.subscribe(confFor(broker, 't', 'g'), first.handler);
    await a.start();
    await waitFor(() => first.received.length === 2 && first.finished.length === 1);

    const second = recorder();
    const b = broker.transport();
    b.subscribe(confFor(broker, 't', 'g'), second.handler);
    await b.start();
    await waitFor(() => second.finished.length === 1);
    expect(second.values()).toEqual(['p1-1']);
    await waitFor(() => broker.committedOffsets('g', 't').get(1) === 2, {
      message: "the new owner's commit",
    });

    // The old owner finishing late must not move (or rewind) the group's offset.
    const committedByA: TransportEvent[] = [];
    a.onEvent((e) => {
      if (e.type === 'committed') committedByA.push(e);
    });
    gate.resolve();
    await waitFor(() => first.finished.length === 2);
    await a.commit();
    expect(committedByA).toEqual([]);
    expect(broker.committedOffsets('g', 't').get(1)).toBe(2);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('hands a stopped member its partitions back to the others at the committed offset', async () => {
    const broker = setup(2);
    const a = broker.transport();
    const b = broker.transport();
    const inA = recorder();
    const inB = recorder();
    a.subscribe(confFor(broker, 't', 'g'), inA.handler);
    b.subscribe(confFor(broker, 't', 'g'), inB.handler);
    await a.start();
    await b.start();
    await broker.produce('t', [
      { value: 'x', partition: 1 },
      { value: 'y', partition: 1 },
    ]);
    await waitFor(() => inB.finished.length === 2);
    await b.stop();
    expect(a.assignedPartitions()).toEqual([0, 1]);
    await broker.produce('t', { value: 'z', partition: 1 });
    await waitFor(() => inA.finished.length === 1);
    expect(inA.values()).toEqual(['z']);
    await a.stop();
  });

  it('tracks ownership from events the same way for any transport', async () => {
    const broker = setup(4);
    const a = broker.transport();
    const tracker = trackAssignments(a);
    a.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await a.start();
    expect(tracker.partitions('g', 't')).toEqual([0, 1, 2, 3]);
    const b = broker.transport();
    b.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await b.start();
    expect(tracker.partitions('g', 't')).toEqual([0, 1]);
    expect(tracker.partitions('g', 't')).toEqual(a.assignedPartitions());
    await Promise.all([a.stop(), b.stop()]);
    tracker.dispose();
  });
});
