import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChunkBatcher } from '../../src/pusher/chunk-batcher.js';

type Sent = string[][];

function batcher(
  chunkSize: number,
  flushIntervalMs: number,
  fail?: (items: readonly string[]) => Error | undefined,
) {
  const sent: Sent = [];
  const releases: Array<() => void> = [];
  const b = new ChunkBatcher<string>({
    chunkSize,
    flushIntervalMs,
    sizeOf: (item) => item.length,
    send: (items) => {
      sent.push([...items]);
      const error = fail?.(items);
      return error ? Promise.reject(error) : Promise.resolve();
    },
  });
  return { b, sent, releases };
}

describe('ChunkBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends when the chunk size is reached, without waiting for the interval', async () => {
    const { b, sent } = batcher(10, 1000);
    const pushes = [b.add('aaaa'), b.add('bbbb'), b.add('cc')];
    await Promise.all(pushes);
    expect(sent).toEqual([['aaaa', 'bbbb', 'cc']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never lets a batch grow past the chunk size: the item that would overflow starts the next', async () => {
    const { b, sent } = batcher(10, 1000);
    const first = b.add('aaaaaa');
    const second = b.add('bbbbbb');
    await first;
    expect(sent).toEqual([['aaaaaa']]);
    await vi.advanceTimersByTimeAsync(1000);
    await second;
    expect(sent).toEqual([['aaaaaa'], ['bbbbbb']]);
  });

  it('sends an item bigger than the chunk alone', async () => {
    const { b, sent } = batcher(4, 1000);
    const small = b.add('ab');
    const big = b.add('0123456789');
    await Promise.all([small, big]);
    expect(sent).toEqual([['ab'], ['0123456789']]);
  });

  it('sends a partial batch after the flush interval', async () => {
    const { b, sent } = batcher(1000, 250);
    const push = b.add('x');
    await vi.advanceTimersByTimeAsync(249);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await push;
    expect(sent).toEqual([['x']]);
  });

  it('flushIntervalMs 0 sends on the next turn, gathering what came in the same turn', async () => {
    const { b, sent } = batcher(1000, 0);
    const pushes = [b.add('a'), b.add('b')];
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all(pushes);
    expect(sent).toEqual([['a', 'b']]);
  });

  it('flush() sends at once and resolves when everything settled', async () => {
    const { b, sent } = batcher(1000, 60_000);
    const push = b.add('a');
    expect(b.buffered).toBe(1);
    await b.flush();
    await push;
    expect(sent).toEqual([['a']]);
    expect(b.buffered).toBe(0);
    await b.flush();
  });

  it('rejects every item of a failed batch with the send error, and only those', async () => {
    const failure = new Error('broker says no');
    const { b } = batcher(3, 1000, (items) => (items.includes('bad') ? failure : undefined));
    const bad = b.add('bad');
    const next = b.add('ok');
    await expect(bad).rejects.toBe(failure);
    await b.flush();
    await expect(next).resolves.toBeUndefined();
  });

  it('sends batches one at a time, in order', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const b = new ChunkBatcher<string>({
      chunkSize: 1,
      flushIntervalMs: 1000,
      sizeOf: () => 1,
      send: (items) => {
        order.push(`start ${items[0]}`);
        return new Promise<void>((resolve) => {
          release = () => {
            order.push(`end ${items[0]}`);
            resolve();
          };
        });
      },
    });
    const a = b.add('a');
    const c = b.add('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['start a']);
    release();
    await a;
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['start a', 'end a', 'start b']);
    release();
    await c;
  });

  it('lingers while a batch is in flight: what gathers meanwhile goes out as one batch', async () => {
    const sent: string[][] = [];
    const releases: Array<() => void> = [];
    const b = new ChunkBatcher<string>({
      chunkSize: 1000,
      flushIntervalMs: 5,
      sizeOf: (item) => item.length,
      send: (items) => {
        sent.push([...items]);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    });
    const first = b.add('a');
    await vi.advanceTimersByTimeAsync(5);
    expect(sent).toEqual([['a']]);
    // The producer is busy: later items wait past their linger, gathering.
    const later = [b.add('b')];
    await vi.advanceTimersByTimeAsync(5);
    later.push(b.add('c'));
    await vi.advanceTimersByTimeAsync(20);
    expect(sent).toEqual([['a']]);
    releases.shift()!();
    await first;
    // Their linger is over: they go out at once, together.
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([['a'], ['b', 'c']]);
    releases.shift()!();
    await Promise.all(later);
  });

  it('an item that arrives after a send ends still lingers for company', async () => {
    const sent: string[][] = [];
    const b = new ChunkBatcher<string>({
      chunkSize: 1000,
      flushIntervalMs: 5,
      sizeOf: (item) => item.length,
      send: async (items) => {
        sent.push([...items]);
      },
    });
    await Promise.all([b.add('a'), vi.advanceTimersByTimeAsync(5)]);
    const next = b.add('b');
    await vi.advanceTimersByTimeAsync(4);
    expect(sent).toEqual([['a']]);
    const third = b.add('c');
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([next, third]);
    expect(sent).toEqual([['a'], ['b', 'c']]);
  });
});

describe('kafkaPusherDefaults', () => {
  it('lingers for the turn of the event loop, not a 1 s flush window', async () => {
    const { kafkaPusherDefaults } = await import('../../src/index.js');
    expect(kafkaPusherDefaults.flushIntervalMs).toBe(0);
  });
});
