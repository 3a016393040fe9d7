/**
 * Races runs against the shutdown signal with one listener for all of them
 * (a listener per message is measurable at tens of thousands a second). A
 * run still going when the signal fires is left behind and its race rejects.
 */
export class AbortRace {
  readonly #signal: AbortSignal;
  readonly #pending = new Set<(reason: unknown) => void>();

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        for (const reject of this.#pending) reject(signal.reason);
        this.#pending.clear();
      },
      { once: true },
    );
  }

  /**
   * Settles with `running`, or rejects as soon as the signal fires. Only a
   * thenable needs racing: callers settle a plain value without calling this.
   */
  race(running: PromiseLike<unknown>): Promise<void> {
    if (this.#signal.aborted) return Promise.reject(this.#signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const pending = this.#pending;
    pending.add(reject);
    // A foreign thenable is adopted first, so one whose `then` misbehaves cannot throw here.
    (running instanceof Promise ? running : Promise.resolve(running)).then(
      () => {
        pending.delete(reject);
        resolve();
      },
      (error: unknown) => {
        pending.delete(reject);
        reject(error);
      },
    );
    return promise;
  }
}

/** True for anything `await` would wait on. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
