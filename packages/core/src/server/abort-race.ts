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

  /** Settles with `work`, or rejects as soon as the signal fires. */
  race(work: () => PromiseLike<void> | void): Promise<void> {
    if (this.#signal.aborted) return Promise.reject(this.#signal.reason);
    let running: PromiseLike<void> | void;
    try {
      running = work();
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof running?.then !== 'function') return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pending.add(reject);
    Promise.resolve(running).then(
      () => {
        this.#pending.delete(reject);
        resolve();
      },
      (error: unknown) => {
        this.#pending.delete(reject);
        reject(error);
      },
    );
    return promise;
  }
}
