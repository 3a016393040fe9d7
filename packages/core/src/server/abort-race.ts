/**
 * Races runs against the shutdown signal with one listener for all of them
 * (a listener per message is measurable at tens of thousands a second). A
 * run still going when the signal fires is left behind and its race rejects.
 */
export class AbortRace {
  readonly #signal: AbortSignal;
  /**
   * The reject of each race in flight, by slot; freed slots are reused. (A
   * Set keyed by the functions costs an identity hash per run.)
   */
  #rejects: Array<((reason: unknown) => void) | undefined> = [];
  #free: number[] = [];

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        const rejects = this.#rejects;
        this.#rejects = [];
        this.#free = [];
        for (const reject of rejects) reject?.(signal.reason);
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
    const rejects = this.#rejects;
    const slot = this.#free.pop() ?? rejects.length;
    rejects[slot] = reject;
    const release = () => {
      // After an abort the slots belong to a fresh list: leave it alone.
      if (this.#rejects === rejects) {
        rejects[slot] = undefined;
        this.#free.push(slot);
      }
    };
    // A foreign thenable is adopted first, so one whose `then` misbehaves cannot throw here.
    (running instanceof Promise ? running : Promise.resolve(running)).then(
      () => {
        release();
        resolve();
      },
      (error: unknown) => {
        release();
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
