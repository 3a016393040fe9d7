import { ConfigError } from '../errors/index.js';

/** How a failed run is tried again before it counts as failed. */
export interface RetryOptions {
  /** Runs per message in all, the first included; 1 turns retries off. */
  maxAttempts?: number;
  /** Delay before the first retry; doubles each time, with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export type ResolvedRetryOptions = Readonly<Required<RetryOptions>>;

export const retryDefaults: ResolvedRetryOptions = {
  maxAttempts: 3,
  initialDelayMs: 100,
  maxDelayMs: 30_000,
};

export function resolveRetry(options: RetryOptions = {}): ResolvedRetryOptions {
  const out = { ...retryDefaults, ...options };
  const problems = [];
  if (!Number.isInteger(out.maxAttempts) || out.maxAttempts < 1) {
    problems.push({
      path: 'retry.maxAttempts',
      message: `must be a whole number of at least 1, got ${out.maxAttempts}`,
    });
  }
  if (!(out.initialDelayMs >= 0)) {
    problems.push({
      path: 'retry.initialDelayMs',
      message: `must be 0 or more, got ${out.initialDelayMs}`,
    });
  }
  if (!(out.maxDelayMs >= out.initialDelayMs)) {
    problems.push({
      path: 'retry.maxDelayMs',
      message: `must be at least initialDelayMs, got ${out.maxDelayMs}`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** Exponential backoff with full jitter on the upper half. */
export function backoffDelay(retry: ResolvedRetryOptions, failedAttempt: number): number {
  const exp = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/** Waits `ms`, or less if `signal` fires (then rejects with the signal's reason). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
