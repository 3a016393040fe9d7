import type { ReconnectOptions } from './options.js';

/** Capped exponential backoff with jitter on the upper half: attempt 1 waits about `initialDelayMs`. */
export function reconnectDelay(attempt: number, options: Required<ReconnectOptions>): number {
  const exp = Math.min(
    options.maxDelayMs,
    options.initialDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30),
  );
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/** Waits `ms`, or resolves `false` early when `signal` fires. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles with `work`, or rejects with `reason()` as soon as `signal` fires. */
export function unlessAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  reason: () => Error,
): Promise<T> {
  if (signal.aborted) return Promise.reject(reason());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
