import type { CommitPosition, CommitTracker } from '@tasks/core/transport';

export interface CommitSchedulerDeps {
  readonly tracker: CommitTracker;
  readonly intervalMs: number;
  /** True while a consumer is connected that can commit. */
  readonly canCommit: () => boolean;
  /** Sends one commit request; rejects when it was not accepted. */
  readonly send: (positions: readonly CommitPosition[]) => Promise<void>;
  readonly onCommitted: (position: CommitPosition) => void;
  /** A commit failed; the positions stay pending and go out with the next one. */
  readonly onError: (error: unknown) => void;
}

/**
 * Commits what the tracker says is finished: on an interval, on demand
 * (revocation, shutdown). One commit request at a time, in order, so a later
 * commit never races an earlier one to the broker.
 */
export class CommitScheduler {
  readonly #deps: CommitSchedulerDeps;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: CommitSchedulerDeps) {
    this.#deps = deps;
  }

  /** Starts the interval; a tick is skipped while an earlier commit is still on its way. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#queued > 0) return;
      this.commitPending().catch(this.#deps.onError);
    }, this.#deps.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Commits every partition's finished, contiguous run (as of when its turn comes). */
  commitPending(): Promise<void> {
    return this.#enqueue(() => this.#deps.tracker.pending());
  }

  /** Commits exactly these positions (a revoked partition's last finished run). */
  commitPositions(positions: readonly CommitPosition[]): Promise<void> {
    return this.#enqueue(() => positions);
  }

  #enqueue(positionsOf: () => readonly CommitPosition[]): Promise<void> {
    this.#queued += 1;
    const run = this.#chain.then(async () => {
      try {
        if (!this.#deps.canCommit()) return;
        const positions = positionsOf();
        if (positions.length === 0) return;
        await this.#deps.send(positions);
        for (const position of positions) {
          this.#deps.tracker.markCommitted(position);
          this.#deps.onCommitted(position);
        }
      } finally {
        this.#queued -= 1;
      }
    });
    this.#chain = run.catch(() => {});
    return run;
  }
}
