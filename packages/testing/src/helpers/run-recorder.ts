import type { RunEvent, RunListener, RunOutcome } from '@tasks/core';
import { type WaitForOptions, waitFor } from './wait-for.js';

/** Anything that reports run events, such as core's `TaskServer`. */
export interface RunSource {
  onRun(listener: RunListener): () => void;
}

const outcomes: readonly RunOutcome[] = ['succeeded', 'failed', 'retrying', 'abandoned'];

/**
 * Records a server's run events and waits on them. Create it before the
 * server starts so no event is missed.
 */
export class RunRecorder {
  readonly #events: RunEvent[] = [];
  readonly #unsubscribe: () => void;

  constructor(source: RunSource) {
    this.#unsubscribe = source.onRun((event) => {
      this.#events.push(event);
    });
  }

  /** Every event so far, in order. */
  get events(): readonly RunEvent[] {
    return this.#events;
  }

  /**
   * The final event of each finished message: `succeeded`, or `failed` (gave
   * up after its retries; committed past when `forceCommit` is on).
   */
  settled(): RunEvent[] {
    return this.#events.filter((e) => e.outcome === 'succeeded' || e.outcome === 'failed');
  }

  count(outcome: RunOutcome): number {
    return this.#events.reduce((n, e) => (e.outcome === outcome ? n + 1 : n), 0);
  }

  /** Resolves with the settled events once there are at least `count` of them. */
  async waitForSettled(count: number, options: WaitForOptions = {}): Promise<RunEvent[]> {
    await waitFor(() => this.settled().length >= count, {
      message: `${count} settled run(s)`,
      describe: () => this.summary(),
      ...options,
    });
    return this.settled();
  }

  /** Resolves once `predicate` holds for the events so far. */
  async waitUntil(
    predicate: (events: readonly RunEvent[]) => boolean,
    options: WaitForOptions = {},
  ): Promise<void> {
    await waitFor(() => predicate(this.#events), {
      message: 'the run events to match',
      describe: () => this.summary(),
      ...options,
    });
  }

  /** One line for failure messages: counts per outcome and the last few events. */
  summary(): string {
    const counts = outcomes.map((o) => `${o} ${this.count(o)}`).join(', ');
    const last = this.#events
      .slice(-5)
      .map((e) => `${e.outcome} ${e.topic}[${e.partition}]@${e.offset}#${e.attempt}`)
      .join(', ');
    return `${this.#events.length} event(s): ${counts}${last ? `; last: ${last}` : ''}`;
  }

  /** Stops recording. */
  dispose(): void {
    this.#unsubscribe();
  }
}

/** Starts recording `source`'s run events. */
export function recordRuns(source: RunSource): RunRecorder {
  return new RunRecorder(source);
}
