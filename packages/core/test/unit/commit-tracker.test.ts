import { OffsetOrderError } from '@tasks/core';
import { CommitTracker } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';

const T = 'orders';

function begun(offsets: readonly number[], partition = 0, topic = T): CommitTracker {
  const tracker = new CommitTracker();
  for (const offset of offsets) tracker.begin(topic, partition, offset);
  return tracker;
}

/** The offset `pending()` would commit for the partition, if any. */
function committable(tracker: CommitTracker, partition = 0, topic = T): number | undefined {
  return tracker.pending().find((p) => p.topic === topic && p.partition === partition)?.offset;
}

describe('CommitTracker', () => {
  it('commits nothing before anything finished', () => {
    const tracker = begun([0, 1, 2]);
    expect(tracker.pending()).toEqual([]);
    expect(tracker.inFlight).toBe(3);
  });

  it('advances only over a contiguous finished run, whatever the completion order', () => {
    const tracker = begun([0, 1, 2, 3, 4]);
    tracker.complete(T, 0, 2);
    tracker.complete(T, 0, 4);
    expect(committable(tracker)).toBeUndefined();
    tracker.complete(T, 0, 0);
    expect(committable(tracker)).toBe(1);
    tracker.complete(T, 0, 1);
    expect(committable(tracker)).toBe(3);
    tracker.complete(T, 0, 3);
    expect(committable(tracker)).toBe(5);
    expect(tracker.inFlight).toBe(0);
  });

  it('never commits past an abandoned offset', () => {
    const tracker = begun([0, 1, 2, 3]);
    tracker.complete(T, 0, 0);
    tracker.abandon(T, 0, 1);
    tracker.complete(T, 0, 2);
    tracker.complete(T, 0, 3);
    expect(committable(tracker)).toBe(1);
    expect(tracker.inFlight).toBe(0);
    // Abandoned is final: completing it later does not unblock the partition.
    expect(tracker.complete(T, 0, 1)).toBe(false);
    expect(committable(tracker)).toBe(1);
  });

  it('handles gaps in offsets (compacted topics)', () => {
    const tracker = begun([0, 1, 5, 9]);
    tracker.complete(T, 0, 5);
    expect(committable(tracker)).toBeUndefined();
    tracker.complete(T, 0, 0);
    tracker.complete(T, 0, 1);
    expect(committable(tracker)).toBe(6);
    tracker.complete(T, 0, 9);
    expect(committable(tracker)).toBe(10);
  });

  it('starts from whatever offset the partition resumes at', () => {
    const tracker = begun([1_000_000]);
    tracker.complete(T, 0, 1_000_000);
    expect(tracker.pending()).toEqual([{ topic: T, partition: 0, offset: 1_000_001 }]);
  });

  it('keeps partitions and topics apart', () => {
    const tracker = new CommitTracker();
    tracker.begin(T, 0, 10);
    tracker.begin(T, 1, 10);
    tracker.begin('payments', 0, 10);
    tracker.begin(T, 1, 11);
    tracker.complete(T, 1, 11);
    tracker.complete('payments', 0, 10);
    expect(tracker.pending()).toEqual([{ topic: 'payments', partition: 0, offset: 11 }]);
    tracker.complete(T, 1, 10);
    expect(committable(tracker, 1)).toBe(12);
    expect(committable(tracker, 0)).toBeUndefined();
    expect(tracker.inFlight).toBe(1);
  });

  it('pending() lists a position until it is marked committed, and again once it moves', () => {
    const tracker = begun([0, 1, 2]);
    tracker.complete(T, 0, 0);
    const [position] = tracker.pending();
    expect(position).toEqual({ topic: T, partition: 0, offset: 1 });
    expect(tracker.pending()).toEqual([position]);
    tracker.markCommitted(position!);
    expect(tracker.pending()).toEqual([]);
    tracker.complete(T, 0, 1);
    expect(tracker.pending()).toEqual([{ topic: T, partition: 0, offset: 2 }]);
  });

  it('markCommitted never moves backwards and ignores unknown partitions', () => {
    const tracker = begun([0, 1]);
    tracker.complete(T, 0, 0);
    tracker.complete(T, 0, 1);
    tracker.markCommitted({ topic: T, partition: 0, offset: 2 });
    tracker.markCommitted({ topic: T, partition: 0, offset: 1 });
    expect(tracker.pending()).toEqual([]);
    expect(() => tracker.markCommitted({ topic: 'nope', partition: 9, offset: 5 })).not.toThrow();
    expect(tracker.pending()).toEqual([]);
  });

  it('complete() says whether it was tracking the message', () => {
    const tracker = begun([3]);
    expect(tracker.complete(T, 0, 4)).toBe(false);
    expect(tracker.complete(T, 7, 3)).toBe(false);
    expect(tracker.complete(T, 0, 3)).toBe(true);
    expect(tracker.complete(T, 0, 3)).toBe(false);
    expect(tracker.inFlight).toBe(0);
  });

  it('ignores a second begin of an offset still running', () => {
    const tracker = begun([0, 0]);
    expect(tracker.inFlight).toBe(1);
    tracker.complete(T, 0, 0);
    expect(tracker.inFlight).toBe(0);
    expect(committable(tracker)).toBe(1);
  });

  it('rejects an offset that goes backwards', () => {
    const tracker = begun([5, 6]);
    expect(() => tracker.begin(T, 0, 4)).toThrow(OffsetOrderError);
    expect(tracker.inFlight).toBe(2);
  });

  it('forget() drops a partition and its in-flight count', () => {
    const tracker = begun([0, 1, 2]);
    tracker.begin(T, 1, 0);
    tracker.complete(T, 0, 0);
    tracker.abandon(T, 0, 2);
    tracker.forget(T, 0);
    expect(tracker.inFlight).toBe(1);
    expect(tracker.pending()).toEqual([]);
    // Late results for the forgotten partition change nothing.
    expect(tracker.complete(T, 0, 1)).toBe(false);
    expect(tracker.inFlight).toBe(1);
    // Reassigned later, it starts afresh.
    tracker.begin(T, 0, 1);
    tracker.complete(T, 0, 1);
    expect(committable(tracker)).toBe(2);
    tracker.forget('unknown', 3);
    expect(tracker.inFlight).toBe(1);
  });

  it('stays correct over many offsets (the compaction path)', () => {
    const tracker = new CommitTracker();
    const count = 10_000;
    for (let o = 0; o < count; o++) tracker.begin(T, 0, o * 2);
    // Complete in a scrambled but deterministic order, keeping the first one open.
    const order = Array.from({ length: count - 1 }, (_, i) => ((i * 7_919) % (count - 1)) + 1);
    const untracked = order.filter((i) => !tracker.complete(T, 0, i * 2));
    expect(untracked).toEqual([]);
    expect(committable(tracker)).toBeUndefined();
    expect(tracker.inFlight).toBe(1);
    tracker.complete(T, 0, 0);
    expect(committable(tracker)).toBe((count - 1) * 2 + 1);
    expect(tracker.inFlight).toBe(0);

    // Keep going past compaction, in order, with one slow message in the middle.
    for (let o = count * 2; o < count * 4; o++) tracker.begin(T, 0, o);
    for (let o = count * 2; o < count * 4; o++) if (o !== count * 3) tracker.complete(T, 0, o);
    expect(committable(tracker)).toBe(count * 3);
    tracker.complete(T, 0, count * 3);
    expect(committable(tracker)).toBe(count * 4);
  });

  it('still rejects an offset going backwards after old entries were compacted away', () => {
    const tracker = new CommitTracker();
    const accepted: number[] = [];
    for (let o = 1; o <= 3_000; o++) {
      tracker.begin(T, 0, o);
      tracker.complete(T, 0, o);
      try {
        tracker.begin(T, 0, o - 1);
        accepted.push(o - 1);
      } catch (error) {
        if (!(error instanceof OffsetOrderError)) throw error;
      }
    }
    expect(accepted).toEqual([]);
    // The commit position never went back.
    expect(committable(tracker)).toBe(3_001);
    expect(tracker.inFlight).toBe(0);
  });
});

describe('CommitTracker.finishedUncommitted', () => {
  it('counts finished runs not yet covered by a commit, also beyond a run still going', () => {
    const tracker = new CommitTracker();
    for (const offset of [10, 11, 12, 13, 14]) tracker.begin('t', 0, offset);
    tracker.complete('t', 0, 10);
    tracker.complete('t', 0, 11);
    // 12 still runs; 13 finished beyond it.
    tracker.complete('t', 0, 13);
    expect(tracker.finishedUncommitted()).toBe(3);
    tracker.markCommitted({ topic: 't', partition: 0, offset: 12 });
    expect(tracker.finishedUncommitted()).toBe(1);
    tracker.complete('t', 0, 12);
    expect(tracker.finishedUncommitted()).toBe(2);
    tracker.forget('t', 0);
    expect(tracker.finishedUncommitted()).toBe(0);
  });
});

describe('CommitTracker.finishedUncommitted, edges', () => {
  it('is 0 while the only runs begun are still going', () => {
    const tracker = new CommitTracker();
    tracker.begin('t', 0, 10);
    tracker.begin('t', 0, 11);
    expect(tracker.finishedUncommitted()).toBe(0);
  });

  it('counts a re-assigned partition from its new first offset, not the old one', () => {
    const tracker = new CommitTracker();
    tracker.begin('t', 0, 3);
    tracker.complete('t', 0, 3);
    tracker.forget('t', 0);
    tracker.begin('t', 0, 20);
    tracker.complete('t', 0, 20);
    expect(tracker.finishedUncommitted()).toBe(1);
  });
});
