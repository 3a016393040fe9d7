import type { RunEvent } from '@tasks/core';

/** Counts every settled run of this process, demo or not (what a child of `--processes` shows). */
export class RunTally {
  #succeeded = 0;
  #failed = 0;

  /** Feed it the server's run events. */
  observe = (event: RunEvent): void => {
    if (event.outcome === 'succeeded') this.#succeeded += 1;
    else if (event.outcome === 'failed') this.#failed += 1;
  };

  get settled(): number {
    return this.#succeeded + this.#failed;
  }

  line(): string {
    return `ran ${this.settled} tasks: ${this.#succeeded} succeeded, ${this.#failed} failed`;
  }
}
