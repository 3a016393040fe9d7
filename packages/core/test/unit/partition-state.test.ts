import { ErrorCodes, OffsetOrderError } from '@tasks/core';
import { PartitionState } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';

describe('PartitionState', () => {
  it('says which offsets were not handed out yet, until it is reset', () => {
    const state = new PartitionState('t', 0);
    expect(state.isNew(0)).toBe(true);
    state.begin(4);
    expect(state.isNew(3)).toBe(false);
    expect(state.isNew(4)).toBe(false);
    expect(state.isNew(5)).toBe(true);
    const before = state.generation;
    state.reset();
    expect(state.isNew(0)).toBe(true);
    expect(state.generation).toBe(before + 1);
  });

  it('commits over the contiguous finished run by sequence number', () => {
    const state = new PartitionState('t', 0);
    const [a, b, c] = [10, 11, 15].map((offset) => state.begin(offset));
    expect(state.complete(c!)).toBe(true);
    expect(state.committable).toBeUndefined();
    expect(state.complete(a!)).toBe(true);
    expect(state.committable).toBe(11);
    expect(state.complete(a!)).toBe(false);
    expect(state.complete(b!)).toBe(true);
    expect(state.committable).toBe(16);
    expect(state.open).toBe(0);
  });

  it('holds the commit below an abandoned run, which never completes afterwards', () => {
    const state = new PartitionState('t', 0);
    const [a, b, c] = [0, 1, 2].map((offset) => state.begin(offset));
    state.complete(a!);
    state.abandon(b!);
    state.abandon(b!);
    state.complete(c!);
    expect(state.committable).toBe(1);
    expect(state.complete(b!)).toBe(false);
    expect(state.open).toBe(0);
  });

  it('ignores the sequence numbers of an earlier generation that are out of range', () => {
    const state = new PartitionState('t', 0);
    const old = state.begin(7);
    state.reset();
    expect(state.complete(old)).toBe(false);
    state.abandon(old);
    expect(state.open).toBe(0);
    expect(state.committable).toBeUndefined();
    expect(state.complete(-1)).toBe(false);
  });

  it('finds the running entry of an offset, and -1 for one not running', () => {
    const state = new PartitionState('t', 0);
    const seqs = [1, 3, 5, 7].map((offset) => state.begin(offset));
    expect(state.seqOf(5)).toBe(seqs[2]);
    expect(state.seqOf(4)).toBe(-1);
    expect(state.seqOf(8)).toBe(-1);
    state.complete(seqs[2]!);
    expect(state.seqOf(5)).toBe(-1);
  });

  it('gives a second begin of the offset running last the same number; after it finished, a new one', () => {
    const state = new PartitionState('t', 0);
    state.begin(0);
    const first = state.begin(1);
    expect(state.begin(1)).toBe(first);
    expect(state.open).toBe(2);
    state.complete(first);
    const again = state.begin(1);
    expect(again).not.toBe(first);
    expect(state.seqOf(1)).toBe(again);
    expect(() => state.begin(0)).toThrow(OffsetOrderError);
    try {
      state.begin(0);
    } catch (error) {
      expect(error).toMatchObject({
        code: ErrorCodes.OffsetOutOfOrder,
        topic: 't',
        partition: 0,
        offset: 0,
        last: 1,
      });
      expect((error as Error).message).toMatch(/^offset 0 began after 1 on t\[0\]/);
    }
  });

  it('keeps the ledger bounded while commits advance, and stays exact across compaction', () => {
    const state = new PartitionState('t', 0);
    for (let offset = 0; offset < 5_000; offset++) state.complete(state.begin(offset));
    expect(state.tracked).toBeLessThanOrEqual(1_025);
    expect(state.committable).toBe(5_000);
    // Sequence numbers stay valid across compaction, for complete and abandon alike.
    const held = state.begin(5_000);
    const seqs = Array.from({ length: 3_000 }, (_, i) => state.begin(5_001 + i));
    for (const seq of seqs) state.complete(seq);
    expect(state.committable).toBe(5_000);
    state.abandon(seqs[0]!);
    expect(state.complete(held)).toBe(true);
    expect(state.committable).toBe(8_001);
    const last = state.begin(9_000);
    state.abandon(last);
    expect(state.open).toBe(0);
    expect(state.complete(last)).toBe(false);
    expect(state.committable).toBe(8_001);
  });
});
