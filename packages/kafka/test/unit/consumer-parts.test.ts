import type { TransportEvent } from '@tasks/core';
import { CommitTracker, Dispatcher } from '@tasks/core/transport';
import { createDeferred, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { Assignment } from '../../src/consumer/assignment.js';
import { CommitScheduler } from '../../src/consumer/commit-scheduler.js';
import { RebalanceHandler } from '../../src/consumer/rebalance.js';

describe('Assignment', () => {
  it('reports what came and what went at each rebalance', () => {
    const a = new Assignment();
    expect(a.update({ t: [0, 1, 2] })).toEqual({
      assigned: [{ topic: 't', partitions: [0, 1, 2] }],
      revoked: [],
    });
    expect(a.update({ t: [2, 0], u: [5] })).toEqual({
      assigned: [{ topic: 'u', partitions: [5] }],
      revoked: [{ topic: 't', partitions: [1] }],
    });
    expect(a.has('t', 1)).toBe(false);
    expect(a.clear()).toEqual([
      { topic: 't', partitions: [0, 2] },
      { topic: 'u', partitions: [5] },
    ]);
  });
});

describe('CommitScheduler', () => {
  function setup(send = async (_: unknown) => {}) {
    const tracker = new CommitTracker();
    const committed: string[] = [];
    const errors: unknown[] = [];
    let connected = true;
    const scheduler = new CommitScheduler({
      tracker,
      intervalMs: 60_000,
      canCommit: () => connected,
      send: async (positions) => {
        await send(positions);
      },
      onCommitted: (p) => committed.push(`${p.topic}[${p.partition}]@${p.offset}`),
      onError: (e) => errors.push(e),
    });
    return { tracker, scheduler, committed, errors, disconnect: () => (connected = false) };
  }

  it('commits only the contiguous finished run of each partition', async () => {
    const { tracker, scheduler, committed } = setup();
    for (const offset of [0, 1, 2, 3]) tracker.begin('t', 0, offset);
    tracker.complete('t', 0, 0);
    tracker.complete('t', 0, 2);
    tracker.complete('t', 0, 3);
    await scheduler.commitPending();
    expect(committed).toEqual(['t[0]@1']);
    tracker.complete('t', 0, 1);
    await scheduler.commitPending();
    expect(committed).toEqual(['t[0]@1', 't[0]@4']);
    await scheduler.commitPending();
    expect(committed).toHaveLength(2);
  });

  it('never commits past an abandoned message', async () => {
    const { tracker, scheduler, committed } = setup();
    for (const offset of [0, 1, 2]) tracker.begin('t', 0, offset);
    tracker.complete('t', 0, 0);
    tracker.abandon('t', 0, 1);
    tracker.complete('t', 0, 2);
    await scheduler.commitPending();
    expect(committed).toEqual(['t[0]@1']);
  });

  it('keeps positions pending when a commit fails, and does nothing while disconnected', async () => {
    let fail = true;
    const { tracker, scheduler, committed, disconnect } = setup(async () => {
      if (fail) throw new Error('coordinator moved');
    });
    tracker.begin('t', 0, 0);
    tracker.complete('t', 0, 0);
    await expect(scheduler.commitPending()).rejects.toThrow('coordinator moved');
    fail = false;
    await scheduler.commitPending();
    expect(committed).toEqual(['t[0]@1']);
    disconnect();
    tracker.begin('t', 0, 1);
    tracker.complete('t', 0, 1);
    await scheduler.commitPending();
    expect(committed).toEqual(['t[0]@1']);
  });

  it('runs commits one at a time, in order', async () => {
    const order: string[] = [];
    const gate = createDeferred();
    let sends = 0;
    const { tracker, scheduler } = setup(async (positions) => {
      sends += 1;
      order.push(`send ${JSON.stringify(positions)}`);
      if (sends === 1) await gate.promise;
      order.push('sent');
    });
    tracker.begin('t', 0, 0);
    tracker.complete('t', 0, 0);
    const first = scheduler.commitPending();
    await waitFor(() => sends === 1);
    tracker.begin('t', 0, 1);
    tracker.complete('t', 0, 1);
    const second = scheduler.commitPending();
    // Not a sleep: a macrotask runs only once every queued microtask has, so a
    // second send that did not wait for the first would have started by now.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(sends).toBe(1);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual([
      'send [{"topic":"t","partition":0,"offset":1}]',
      'sent',
      'send [{"topic":"t","partition":0,"offset":2}]',
      'sent',
    ]);
  });
});

describe('CommitScheduler across a revocation', () => {
  it('does not mark a partition revoked while its commit was in flight as committed', async () => {
    // Review finding: the reply of a commit sent before the revocation marked the
    // reset partition committed at the old offset, so when the partition came
    // back and reached that offset again, the commit was skipped as already done.
    const gate = createDeferred();
    const sent: string[] = [];
    let first = true;
    const tracker = new CommitTracker();
    const scheduler = new CommitScheduler({
      tracker,
      intervalMs: 60_000,
      canCommit: () => true,
      send: async (positions) => {
        sent.push(...positions.map((p) => `${p.partition}@${p.offset}`));
        if (first) {
          first = false;
          await gate.promise;
        }
      },
      onCommitted: () => {},
      onError: () => {},
    });
    tracker.begin('t', 0, 0);
    tracker.complete('t', 0, 0);
    const inFlight = scheduler.commitPending();
    await waitFor(() => sent.length === 1);
    // Revoked (and handed back) while the commit is on its way.
    tracker.forget('t', 0);
    gate.resolve();
    await inFlight;
    expect(tracker.partition('t', 0).committed).toBeUndefined();
    // Back with us, re-read from the group's offset 0: offset 0 finishes again and is committed.
    tracker.begin('t', 0, 0);
    tracker.complete('t', 0, 0);
    await scheduler.commitPending();
    expect(sent).toEqual(['0@1', '0@1']);
  });
});

describe('RebalanceHandler', () => {
  function setup() {
    const events: TransportEvent[] = [];
    const sent: string[] = [];
    const dispatcher = new Dispatcher({
      processors: 4,
      commitInOrder: false,
      handler: async () => {},
    });
    const scheduler = new CommitScheduler({
      tracker: dispatcher.tracker,
      intervalMs: 60_000,
      canCommit: () => true,
      send: async (positions) => {
        sent.push(...positions.map((p) => `${p.partition}@${p.offset}`));
      },
      onCommitted: () => {},
      onError: () => {},
    });
    const handler = new RebalanceHandler({
      group: 'g',
      dispatcher,
      scheduler,
      emit: (e) => events.push(e),
    });
    return { events, sent, dispatcher, handler, scheduler };
  }

  it('announces assigned partitions only after a fetch started after the join completes', () => {
    const { events, handler } = setup();
    handler.onJoin({ t: [0, 1] });
    expect(events).toEqual([]);
    expect(handler.onFetch(1)).toBe(false);
    handler.onFetchStart(1);
    expect(handler.onFetch(1)).toBe(true);
    expect(events).toEqual([{ type: 'assigned', group: 'g', topic: 't', partitions: [0, 1] }]);
    expect(handler.onFetch(1)).toBe(false);
  });

  it('announces only what is still assigned when a second join comes before the first fetch', () => {
    const { events, handler } = setup();
    handler.onJoin({ t: [0, 1], u: [3] });
    handler.onFetchStart(1);
    handler.onJoin({ t: [0] });
    // The fetch started before the second join does not complete it.
    expect(handler.onFetch(1)).toBe(false);
    handler.onFetchStart(2);
    expect(handler.onFetch(2)).toBe(true);
    expect(events).toEqual([
      { type: 'revoked', group: 'g', topic: 't', partitions: [1] },
      { type: 'revoked', group: 'g', topic: 'u', partitions: [3] },
      { type: 'assigned', group: 'g', topic: 't', partitions: [0] },
    ]);
  });

  it('revokes at the join what went away: no longer tracked, no longer deduplicated', () => {
    const { events, handler, dispatcher } = setup();
    handler.onJoin({ t: [0, 1] });
    handler.onFetchStart(1);
    handler.onFetch(1);
    dispatcher.tracker.begin('t', 1, 0);
    expect(dispatcher.partition('t', 1).isNew(0)).toBe(false);
    handler.onJoin({ t: [0] });
    expect(events.at(-1)).toEqual({ type: 'revoked', group: 'g', topic: 't', partitions: [1] });
    expect(dispatcher.tracker.inFlight).toBe(0);
    expect(dispatcher.partition('t', 1).isNew(0)).toBe(true);
  });

  it('commits what finished when kafkajs starts re-joining, while the partitions are still ours', async () => {
    const { sent, handler, dispatcher, scheduler } = setup();
    handler.onJoin({ t: [0] });
    dispatcher.tracker.begin('t', 0, 0);
    dispatcher.tracker.complete('t', 0, 0);
    handler.onRebalancing();
    // kafkajs's join takes a round trip or more: the commit goes out first.
    await waitFor(() => sent.length === 1);
    handler.onJoin({});
    await scheduler.commitPending();
    expect(sent).toEqual(['0@1']);
  });

  it('never sends, after the join, a commit queued at the rebalance for a partition that moved', async () => {
    // Review finding: positions captured at REBALANCING went out whenever their
    // turn came, even after the join handed the partition to another member,
    // moving the new owner's committed offset back.
    const sent: string[] = [];
    const dispatcher = new Dispatcher({ processors: 4, handler: async () => {} });
    const gate = createDeferred();
    const slowScheduler = new CommitScheduler({
      tracker: dispatcher.tracker,
      intervalMs: 60_000,
      canCommit: () => true,
      send: async (positions) => {
        sent.push(...positions.map((p) => `${p.partition}@${p.offset}`));
        await gate.promise;
      },
      onCommitted: () => {},
      onError: () => {},
    });
    const slow = new RebalanceHandler({
      group: 'g',
      dispatcher,
      scheduler: slowScheduler,
      emit: () => {},
    });
    slow.onJoin({ t: [0, 1] });
    dispatcher.tracker.begin('t', 1, 0);
    dispatcher.tracker.complete('t', 1, 0);
    // A commit on its way (the interval's), then the rebalance queues t[0].
    const inFlight = slowScheduler.commitPending();
    await waitFor(() => sent.length === 1);
    dispatcher.tracker.begin('t', 0, 0);
    dispatcher.tracker.complete('t', 0, 0);
    slow.onRebalancing();
    // The join moves t[0] away before the queued commit's turn.
    slow.onJoin({ t: [1] });
    gate.resolve();
    await inFlight;
    await slowScheduler.commitPending();
    expect(sent).toEqual(['1@1']);
  });

  it('says how many finished runs a join revoked uncommitted (kafkajs re-joined from a fetch, no REBALANCING first)', () => {
    const { handler, dispatcher } = setup();
    handler.onJoin({ t: [0, 1] });
    for (const offset of [0, 1, 2]) dispatcher.tracker.begin('t', 1, offset);
    dispatcher.tracker.complete('t', 1, 0);
    dispatcher.tracker.complete('t', 1, 2);
    // t[1]@0 and @2 finished and were never committed; t[0] is kept.
    expect(handler.onJoin({ t: [0] })).toBe(2);
    expect(handler.onJoin({ t: [0] })).toBe(0);
  });

  it('dropAll revokes everything without committing', async () => {
    const { events, sent, handler, dispatcher, scheduler } = setup();
    handler.onJoin({ t: [0, 2] });
    dispatcher.tracker.begin('t', 0, 0);
    dispatcher.tracker.complete('t', 0, 0);
    handler.dropAll();
    await scheduler.commitPending();
    expect(sent).toEqual([]);
    expect(events).toEqual([{ type: 'revoked', group: 'g', topic: 't', partitions: [0, 2] }]);
  });
});
