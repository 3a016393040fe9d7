/** Told how a watched run ended: exactly one of the two, once. */
export interface RaceWatcher {
  resolved(): void;
  rejected(reason: unknown): void;
}

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
  /** The watchers in flight, by slot, as `#rejects` (`watch` makes no promise of its own). */
  #watchers: Array<RaceWatcher | undefined> = [];
  #freeWatchers: number[] = [];

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        const rejects = this.#rejects;
        this.#rejects = [];
        this.#free = [];
        const watchers = this.#watchers;
        this.#watchers = [];
        this.#freeWatchers = [];
        for (const reject of rejects) reject?.(signal.reason);
        for (let slot = 0; slot < watchers.length; slot++) {
          const watcher = watchers[slot];
          if (watcher === undefined) continue;
          // Emptied first: the run settling later finds its slot empty and tells no one.
          watchers[slot] = undefined;
          watcher.rejected(signal.reason);
        }
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

  /**
   * `race` without a promise of its own: tells `watcher` how `running`
   * settled, or that the signal fired first (and then nothing more). Tells
   * it at once (`rejected`) when the signal has fired already.
   */
  watch(running: PromiseLike<unknown>, watcher: RaceWatcher): void {
    if (this.#signal.aborted) {
      watcher.rejected(this.#signal.reason);
      return;
    }
    const watchers = this.#watchers;
    const slot = this.#freeWatchers.pop() ?? watchers.length;
    watchers[slot] = watcher;
    // A foreign thenable is adopted first, so one whose `then` misbehaves cannot throw here.
    (running instanceof Promise ? running : Promise.resolve(running)).then(
      () => {
        if (this.#release(watchers, slot, watcher)) watcher.resolved();
      },
      (error: unknown) => {
        if (this.#release(watchers, slot, watcher)) watcher.rejected(error);
      },
    );
  }

  /** Frees a watched run's slot; false when the abort told its watcher already. */
  #release(watchers: Array<RaceWatcher | undefined>, slot: number, watcher: RaceWatcher): boolean {
    // Emptied by the abort, whose list is never reused afterwards.
    if (watchers[slot] !== watcher) return false;
    watchers[slot] = undefined;
    if (this.#watchers === watchers) this.#freeWatchers.push(slot);
    return true;
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
