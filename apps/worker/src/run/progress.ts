import type { RunEvent } from '@tasks/core';

/**
 * Counts the settled runs of one demo batch (told apart by a header). Only
 * the tasks this worker consumes are expected to settle here; the others
 * were pushed to topics no consumer of this process reads.
 */
export class DemoProgress {
  readonly #runId: string;
  readonly #expected: number;
  readonly #pushedElsewhere: number;
  readonly #started = performance.now();
  #finishedAt: number | undefined;
  #succeeded = 0;
  #failed = 0;
  #waiters: Array<() => void> = [];

  constructor(runId: string, expected: number, pushedElsewhere = 0) {
    this.#runId = runId;
    this.#expected = expected;
    this.#pushedElsewhere = pushedElsewhere;
  }

  /** Feed it the server's run events. */
  observe = (event: RunEvent): void => {
    if (event.message.headers['x-demo-run']?.toString() !== this.#runId) return;
    if (event.outcome === 'succeeded') this.#succeeded += 1;
    else if (event.outcome === 'failed') this.#failed += 1;
    else return;
    if (this.settled >= this.#expected) {
      this.#finishedAt ??= performance.now();
      for (const wake of this.#waiters.splice(0)) wake();
    }
  };

  get settled(): number {
    return this.#succeeded + this.#failed;
  }

  /** Resolves once every demo task succeeded or failed for good. */
  done(): Promise<void> {
    if (this.settled >= this.#expected) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  summary(transport: string): Record<string, unknown> {
    return {
      processed: this.#succeeded,
      failed: this.#failed,
      pushed: this.#expected + this.#pushedElsewhere,
      pushedElsewhere: this.#pushedElsewhere,
      durationMs: Math.round(this.#elapsedMs()),
      transport,
    };
  }

  /** Until the batch finished, or until now while it runs. */
  #elapsedMs(): number {
    return (this.#finishedAt ?? performance.now()) - this.#started;
  }

  line(): string {
    const seconds = this.#elapsedMs() / 1000;
    const rate = seconds > 0 ? Math.round(this.settled / seconds) : 0;
    return `processed ${this.#succeeded}/${this.#expected}, failed ${this.#failed} (${rate} msg/s)`;
  }
}
