import { getEventListeners } from 'node:events';
import { ErrorCodes, PartitionRevokedError, RunTimeoutError, ShutdownError } from '@tasks/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortRace, isThenable } from '../../src/server/abort-race.js';
import { AttemptTimer } from '../../src/server/attempt-timer.js';
import { PartitionSignals } from '../../src/server/partition-signals.js';
import { sleep } from '../../src/server/retry.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A promise that never settles: what a hung task returns. */
const hung = () => new Promise<void>(() => {});

describe('AttemptTimer', () => {
  it('fires with a RunTimeoutError once the timeout passes', async () => {
    vi.useFakeTimers();
    const timer = new AttemptTimer(new AbortController().signal, 50);
    const racing = timer.race(hung());
    racing.catch(() => {});
    await vi.advanceTimersByTimeAsync(49);
    expect(timer.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(timer.signal.reason).toBeInstanceOf(RunTimeoutError);
    await expect(racing).rejects.toMatchObject({ code: ErrorCodes.RunTimeout });
    // Aborted already: a new race rejects at once.
    await expect(timer.race(hung())).rejects.toBeInstanceOf(RunTimeoutError);
    timer.dispose();
  });

  it("fires with the partition's reason, whether it fired before or during the attempt", async () => {
    const revoked = new PartitionRevokedError('t', 0);
    const before = new AbortController();
    before.abort(revoked);
    const early = new AttemptTimer(before.signal, 60_000);
    expect(early.signal.reason).toBe(revoked);
    await expect(early.race(hung())).rejects.toBe(revoked);
    early.dispose();

    const during = new AbortController();
    const timer = new AttemptTimer(during.signal, 60_000);
    const racing = timer.race(hung());
    during.abort(revoked);
    await expect(racing).rejects.toBe(revoked);
    expect(timer.signal.reason).toBe(revoked);
    expect(getEventListeners(during.signal, 'abort')).toHaveLength(0);
    timer.dispose();
  });

  it('settles as the run does and leaves nothing behind once disposed', async () => {
    vi.useFakeTimers();
    const partition = new AbortController();
    const timer = new AttemptTimer(partition.signal, 50);
    await expect(timer.race(Promise.resolve('done'))).resolves.toBeUndefined();
    await expect(timer.race(Promise.reject(new Error('task failed')))).rejects.toThrow(
      'task failed',
    );
    expect(getEventListeners(timer.signal, 'abort')).toHaveLength(0);
    timer.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(partition.signal, 'abort')).toHaveLength(0);
    // Neither the timeout nor the partition reaches a disposed attempt.
    partition.abort(new ShutdownError());
    await vi.advanceTimersByTimeAsync(100);
    expect(timer.signal.aborted).toBe(false);
  });
});

describe('AbortRace', () => {
  it('settles each race as its run does, and rejects every one still going when the signal fires', async () => {
    const controller = new AbortController();
    const race = new AbortRace(controller.signal);
    await expect(race.race(Promise.resolve(1))).resolves.toBeUndefined();
    await expect(race.race(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    // biome-ignore lint/suspicious/noThenProperty: foreign thenables are what this checks
    const thenable = { then: (resolve: (v: unknown) => void) => resolve('x') };
    await expect(race.race(thenable as PromiseLike<unknown>)).resolves.toBeUndefined();
    const a = race.race(hung());
    const b = race.race(hung());
    const reason = new ShutdownError();
    controller.abort(reason);
    await expect(a).rejects.toBe(reason);
    await expect(b).rejects.toBe(reason);
    // Once fired, a new race rejects at once rather than waiting for the run.
    await expect(race.race(hung())).rejects.toBe(reason);
  });
});

describe('isThenable', () => {
  it('is true for what await would wait on, and only that', () => {
    expect(isThenable(Promise.resolve())).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: foreign thenables are what this checks
    expect(isThenable({ then: () => {} })).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: foreign thenables are what this checks
    const fn = Object.assign(() => {}, { then: () => {} });
    expect(isThenable(fn)).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: foreign thenables are what this checks
    for (const value of [null, undefined, 0, 'then', {}, { then: 1 }, () => {}, true]) {
      expect(isThenable(value)).toBe(false);
    }
  });
});

describe('PartitionSignals', () => {
  it('aborts a revoked partition with PartitionRevokedError and gives its next runs a fresh signal', () => {
    const server = new AbortController();
    const signals = new PartitionSignals('t', server.signal);
    const first = signals.get(0);
    const other = signals.get(1);
    expect(signals.get(0)).toBe(first);
    signals.revoke([0, 7]);
    expect(first.signal.reason).toBeInstanceOf(PartitionRevokedError);
    expect(first.signal.reason).toMatchObject({ code: ErrorCodes.PartitionRevoked });
    expect(other.signal.aborted).toBe(false);
    const next = signals.get(0);
    expect(next).not.toBe(first);
    expect(next.signal.aborted).toBe(false);
  });

  it("fires every partition's signal with the server's reason when it stops, and any asked for later too", () => {
    const server = new AbortController();
    const signals = new PartitionSignals('t', server.signal);
    const zero = signals.get(0);
    const reason = new ShutdownError();
    server.abort(reason);
    expect(zero.signal.reason).toBe(reason);
    expect(signals.get(3).signal.reason).toBe(reason);
  });
});

describe('sleep (between retries)', () => {
  it('waits, and leaves no listener behind', async () => {
    const controller = new AbortController();
    await expect(sleep(2, controller.signal)).resolves.toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason at once when stopped before or during the wait, and drops its timer', async () => {
    vi.useFakeTimers();
    const stopped = new AbortController();
    const reason = new ShutdownError();
    stopped.abort(reason);
    await expect(sleep(60_000, stopped.signal)).rejects.toBe(reason);
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });
});
