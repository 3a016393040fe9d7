import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError } from '@tasks/core';
import { WaitTimeoutError } from './wait-timeout-error.js';

/** How long and how often `waitFor` checks, and what it says when it gives up. */
export interface WaitForOptions {
  /** Deadline in ms. Default 5 000. */
  readonly timeoutMs?: number;
  /** Pause between checks in ms. Default 2. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message ("3 settled runs"). */
  readonly message?: string;
  /** The current state, for the timeout message ("2 settled: offsets 0, 1"). */
  readonly describe?: () => string;
}

export const waitForDefaults = { timeoutMs: 5_000, intervalMs: 2 } as const;

function explain(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/**
 * Checks `condition` until it returns something truthy, and resolves with
 * that. A check that throws counts as "not yet" (so `expect` works inside).
 * Past the deadline it rejects with a `WaitTimeoutError` that names what was
 * awaited and the last state or error seen.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? waitForDefaults.timeoutMs;
  const intervalMs = options.intervalMs ?? waitForDefaults.intervalMs;
  if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new ConfigError([
      { path: 'timeoutMs', message: `must be a finite number >= 0, got ${timeoutMs}` },
    ]);
  }
  if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) {
    throw new ConfigError([
      { path: 'intervalMs', message: `must be a finite number >= 0, got ${intervalMs}` },
    ]);
  }
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  let failedBefore = false;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
      failedBefore = false;
    } catch (error) {
      lastError = error;
      failedBefore = true;
    }
    if (performance.now() >= deadline) {
      const parts = [
        options.describe?.(),
        failedBefore ? `the last check threw: ${explain(lastError)}` : undefined,
      ].filter((part): part is string => part !== undefined);
      throw new WaitTimeoutError(
        options.message ?? 'the condition to hold',
        timeoutMs,
        parts.length > 0 ? parts.join('; ') : undefined,
        failedBefore ? { cause: lastError } : {},
      );
    }
    await delay(intervalMs);
  }
}
