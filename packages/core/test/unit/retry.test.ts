import { ConfigError, resolveRetry, retryDefaults, ShutdownError } from '@tasks/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serverHarness, track, waitFor } from './support.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveRetry', () => {
  it('fills in the defaults', () => {
    expect(resolveRetry()).toEqual({ maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 30_000 });
    expect(retryDefaults).toEqual(resolveRetry({}));
    expect(resolveRetry({ maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0 })).toEqual({
      maxAttempts: 1,
      initialDelayMs: 0,
      maxDelayMs: 0,
    });
  });

  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts', /at least 1, got 0/],
    [{ maxAttempts: 2.5 }, 'retry.maxAttempts', /got 2.5/],
    [{ initialDelayMs: -1 }, 'retry.initialDelayMs', /0 or more, got -1/],
    [{ initialDelayMs: Number.NaN }, 'retry.initialDelayMs', /got NaN/],
    [{ initialDelayMs: 500, maxDelayMs: 100 }, 'retry.maxDelayMs', /at least initialDelayMs/],
  ])('rejects %j at %s', (options, path, message) => {
    const error = configError(() => resolveRetry(options));
    const found = error.problems.find((p) => p.path === path);
    expect(found?.message).toMatch(message);
  });

  it('reports every problem at once', () => {
    const error = configError(() =>
      resolveRetry({ maxAttempts: 0, initialDelayMs: -5, maxDelayMs: -10 }),
    );
    expect(error.problems.map((p) => p.path)).toEqual([
      'retry.maxAttempts',
      'retry.initialDelayMs',
      'retry.maxDelayMs',
    ]);
  });

  it('is checked when the server is built', () => {
    expect(() => serverHarness({ server: { retry: { maxAttempts: 0 } } })).toThrow(ConfigError);
  });
});

describe('backoff between attempts', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** The delays before each retry of a task that always fails, with Math.random fixed. */
  async function delaysWith(random: number): Promise<number[]> {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.spyOn(Math, 'random').mockReturnValue(random);
    const at: number[] = [];
    const h = serverHarness({
      server: { retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 300 } },
      run: () => {
        at.push(Date.now());
        throw new Error('down');
      },
    });
    await h.server.start();
    const handled = h.deliver(0);
    await vi.advanceTimersByTimeAsync(10_000);
    await handled;
    expect(at).toHaveLength(5);
    return at.slice(1).map((t, i) => t - at[i]!);
  }

  it('doubles from initialDelayMs, capped at maxDelayMs (upper bound)', async () => {
    expect(await delaysWith(0.999_999)).toEqual([100, 200, 300, 300]);
  });

  it('never waits less than half the capped delay (lower bound)', async () => {
    expect(await delaysWith(0)).toEqual([50, 100, 150, 150]);
  });

  it('stays within the bounds with real randomness', async () => {
    const delays = await delaysWith(Math.random());
    const caps = [100, 200, 300, 300];
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(caps[i]! / 2);
      expect(delay).toBeLessThanOrEqual(caps[i]!);
    });
  });

  it('cuts the wait short when the server stops, leaving the message unfinished', async () => {
    let attempts = 0;
    const h = serverHarness({
      server: {
        retry: { maxAttempts: 3, initialDelayMs: 60_000, maxDelayMs: 60_000 },
        shutdownTimeoutMs: 0,
      },
      run: () => {
        attempts += 1;
        throw new Error('down');
      },
    });
    await h.server.start();
    const handled = track(h.deliver(0));
    await waitFor(() => h.events.length === 1, 'the first failure');
    const started = performance.now();
    await h.server.stop();
    const result = await handled.result;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.ok).toBe(false);
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(ShutdownError);
    expect((error as Error).message).toMatch(/waited to retry/);
    expect(attempts).toBe(1);
    expect(h.outcomes()).toEqual(['retrying#1', 'abandoned#1']);
    expect(h.errors).toEqual([]);
  });
});
