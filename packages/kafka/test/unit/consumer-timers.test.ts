import { getEventListeners } from 'node:events';
import { CommitTracker } from '@tasks/core/transport';
import { createDeferred, type Deferred } from '@tasks/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pause, reconnectDelay, unlessAborted } from '../../src/consumer/backoff.js';
import { CommitScheduler } from '../../src/consumer/commit-scheduler.js';
import { HeartbeatTimer } from '../../src/consumer/heartbeat-timer.js';
import { protocolError } from './helpers/fake-kafkajs.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const options = { initialDelayMs: 100, maxDelayMs: 1_000 };

describe('reconnectDelay', () => {
  it('doubles from initialDelayMs, jittered over the upper half, and stops at maxDelayMs', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect([1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, options))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    random.mockReturnValue(0.999_999);
    expect([1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, options))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('treats an attempt below 1 as the first, and a huge one as capped', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(reconnectDelay(0, options)).toBe(75);
    expect(reconnectDelay(-3, options)).toBe(75);
    expect(reconnectDelay(10_000, options)).toBe(750);
    expect(reconnectDelay(10_000, { initialDelayMs: 1, maxDelayMs: 2 ** 40 })).toBe(
      Math.round(0.75 * 2 ** 30),
    );
  });
});

describe('pause', () => {
  it('resolves true once the delay is over, and leaves no listener on the signal', async () => {
    const stop = new AbortController();
    await expect(pause(5, stop.signal)).resolves.toBe(true);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('resolves false at once when stopped before or during the wait', async () => {
    vi.useFakeTimers();
    const stopped = new AbortController();
    stopped.abort();
    await expect(pause(60_000, stopped.signal)).resolves.toBe(false);

    const stop = new AbortController();
    const waiting = pause(60_000, stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBe(false);
    // The timer went with it: nothing keeps the process waiting.
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('unlessAborted', () => {
  const reason = () => new Error('stopped');

  it('settles as the work does, and removes its listener either way', async () => {
    const stop = new AbortController();
    await expect(unlessAborted(Promise.resolve(7), stop.signal, reason)).resolves.toBe(7);
    await expect(
      unlessAborted(Promise.reject(new Error('refused')), stop.signal, reason),
    ).rejects.toThrow('refused');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason as soon as the signal fires, or at once if it already did', async () => {
    const stop = new AbortController();
    const work = createDeferred<number>();
    const waiting = unlessAborted(work.promise, stop.signal, reason);
    stop.abort();
    await expect(waiting).rejects.toThrow('stopped');
    await expect(unlessAborted(Promise.resolve(1), stop.signal, reason)).rejects.toThrow('stopped');
  });
});

describe('HeartbeatTimer', () => {
  function setup(everyMs = 10) {
    const rebalances: Error[] = [];
    const errors: unknown[] = [];
    const timer = new HeartbeatTimer(
      everyMs,
      (e) => rebalances.push(e),
      (e) => errors.push(e),
    );
    return { timer, rebalances, errors };
  }

  it('heartbeats every interval while started, with the latest batch heartbeat, until stopped', async () => {
    vi.useFakeTimers();
    const { timer } = setup(10);
    const first = vi.fn(async () => {});
    const second = vi.fn(async () => {});
    timer.start(first);
    await vi.advanceTimersByTimeAsync(9);
    expect(first).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(first).toHaveBeenCalledTimes(1);
    // A second batch while running: same interval, its heartbeat from now on.
    timer.start(second);
    await vi.advanceTimersByTimeAsync(10);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
    timer.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(second).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    // Started again after a stop: ticks again.
    timer.start(second);
    await vi.advanceTimersByTimeAsync(10);
    expect(second).toHaveBeenCalledTimes(2);
    timer.stop();
  });

  it('never sends a heartbeat while the previous one is still on its way', async () => {
    vi.useFakeTimers();
    const { timer } = setup(10);
    let answer = createDeferred();
    const heartbeat = vi.fn(() => answer.promise);
    timer.start(heartbeat);
    await vi.advanceTimersByTimeAsync(50);
    expect(heartbeat).toHaveBeenCalledTimes(1);
    answer.resolve();
    answer = createDeferred();
    await vi.advanceTimersByTimeAsync(10);
    expect(heartbeat).toHaveBeenCalledTimes(2);
    answer.resolve();
    timer.stop();
  });

  it('tells a rebalance apart from any other failure', async () => {
    vi.useFakeTimers();
    const { timer, rebalances, errors } = setup(10);
    const rebalance = protocolError('REBALANCE_IN_PROGRESS');
    const other = new Error('request timed out');
    const answers = [rebalance, other];
    timer.start(async () => {
      throw answers.shift();
    });
    await vi.advanceTimersByTimeAsync(20);
    timer.stop();
    expect(rebalances).toEqual([rebalance]);
    expect(errors).toEqual([other]);
  });
});

describe('CommitScheduler interval', () => {
  function setup() {
    const tracker = new CommitTracker();
    const sent: string[][] = [];
    const errors: unknown[] = [];
    let answer: Deferred<void> | undefined;
    const scheduler = new CommitScheduler({
      tracker,
      intervalMs: 10,
      canCommit: () => true,
      send: async (positions) => {
        sent.push(positions.map((p) => `${p.partition}@${p.offset}`));
        await answer?.promise;
      },
      onCommitted: () => {},
      onError: (error) => errors.push(error),
    });
    const finish = (offset: number) => {
      tracker.begin('t', 0, offset);
      tracker.complete('t', 0, offset);
    };
    return {
      scheduler,
      sent,
      errors,
      finish,
      hold: () => {
        answer = createDeferred();
        return answer;
      },
    };
  }

  it('commits what finished on each tick, once started, and never after stop', async () => {
    vi.useFakeTimers();
    const h = setup();
    h.finish(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.sent).toEqual([]);
    h.scheduler.start();
    h.scheduler.start();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(h.sent).toEqual([['0@1']]);
    h.finish(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(h.sent).toEqual([['0@1'], ['0@2']]);
    h.scheduler.stop();
    h.finish(2);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.sent).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('skips ticks while a commit is on its way, and reports a failed tick', async () => {
    vi.useFakeTimers();
    const h = setup();
    h.scheduler.start();
    h.finish(0);
    const held = h.hold();
    await vi.advanceTimersByTimeAsync(10);
    h.finish(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.sent).toEqual([['0@1']]);
    held.reject(new Error('coordinator moved'));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.errors).toEqual([new Error('coordinator moved')]);
    h.hold().resolve();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.sent).toEqual([['0@1'], ['0@2']]);
    h.scheduler.stop();
  });
});
