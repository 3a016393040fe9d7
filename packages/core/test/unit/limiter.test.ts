import { Limiter } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';
import { flush, track } from './support.js';

describe('Limiter', () => {
  it('rejects a limit that is not a whole number of at least 1', () => {
    for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Limiter(limit)).toThrow(RangeError);
    }
  });

  it('hands out up to `limit` slots at once, then queues', async () => {
    const limiter = new Limiter(2);
    await limiter.acquire();
    await limiter.acquire();
    expect(limiter.active).toBe(2);
    const third = track(limiter.acquire());
    await flush();
    expect(third.settled()).toBe(false);
    expect(limiter.waiting).toBe(1);
    limiter.release();
    await third.result;
    expect(third.settled()).toBe(true);
    expect(limiter.active).toBe(2);
    expect(limiter.waiting).toBe(0);
  });

  it('wakes waiters in FIFO order, one per release', async () => {
    const limiter = new Limiter(1);
    await limiter.acquire();
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => limiter.acquire().then(() => order.push(n)));
    limiter.release();
    await flush();
    expect(order).toEqual([1]);
    limiter.release();
    limiter.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    limiter.release();
    expect(limiter.active).toBe(0);
  });
});
