import { BenchError } from './bench-error.ts';

/** Counts runs and measures the time from the first to the last one. */
export class Meter {
  #first = 0;
  #last = 0;
  #count = 0;
  readonly #target: number;
  readonly #done = Promise.withResolvers<void>();

  constructor(target: number) {
    this.#target = target;
  }

  get count(): number {
    return this.#count;
  }

  tick(): void {
    const now = performance.now();
    if (this.#count === 0) this.#first = now;
    this.#count += 1;
    this.#last = now;
    if (this.#count === this.#target) this.#done.resolve();
  }

  /** Resolves with messages per second once `target` runs were counted. */
  async perSecond(timeoutMs: number): Promise<number> {
    const timer = setTimeout(
      () =>
        this.#done.reject(
          new BenchError(`only ${this.#count}/${this.#target} messages within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    try {
      await this.#done.promise;
    } finally {
      clearTimeout(timer);
    }
    return ((this.#count - 1) / (this.#last - this.#first)) * 1000;
  }
}
