import { BenchError } from './bench-error.ts';

/**
 * A throughput two ways: by the wall clock, and per second of CPU time this
 * process spent (all its threads). On a machine shared with other work the
 * second stays put while the first moves with the load.
 */
export interface Rate {
  readonly perSecond: number;
  readonly perCpuSecond: number;
}

/**
 * Counts runs and measures the time (wall and CPU) from the end of a warm-up
 * (the first tenth of the runs by default: the JIT compiling the hot path,
 * and whatever a process started in the background at start-up, such as an
 * SDK's resource detection, stay out of the figure) to the last run.
 */
export class Meter {
  #first = 0;
  #last = 0;
  #cpuFirst: NodeJS.CpuUsage | undefined;
  #cpuSpent = 0;
  #count = 0;
  readonly #target: number;
  readonly #warmup: number;
  readonly #done = Promise.withResolvers<void>();

  constructor(target: number, warmup = Math.floor(target / 10)) {
    this.#target = target;
    this.#warmup = Math.min(warmup, target - 2);
  }

  get count(): number {
    return this.#count;
  }

  tick(): void {
    const now = performance.now();
    if (this.#count === this.#warmup) {
      this.#first = now;
      this.#cpuFirst = process.cpuUsage();
    }
    this.#count += 1;
    this.#last = now;
    if (this.#count === this.#target) {
      const cpu = process.cpuUsage(this.#cpuFirst);
      this.#cpuSpent = (cpu.user + cpu.system) / 1e6;
      this.#done.resolve();
    }
  }

  /** Resolves with the rates once `target` runs were counted. */
  async rate(timeoutMs: number): Promise<Rate> {
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
    const intervals = this.#count - 1 - this.#warmup;
    return {
      perSecond: (intervals / (this.#last - this.#first)) * 1000,
      perCpuSecond: intervals / this.#cpuSpent,
    };
  }
}
