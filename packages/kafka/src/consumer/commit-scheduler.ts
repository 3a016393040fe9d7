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

  /**
   * Commits these positions (what had finished when a rebalance began) when
   * their turn comes, except those of a partition revoked meanwhile (its
   * generation moved on: the partition may be another member's by then, and
   * committing its old position would move the new owner's offset back) and
   * those an earlier commit already covered.
   */
  commitPositions(positions: readonly CommitPosition[]): Promise<void> {
    const { tracker } = this.#deps;
    const captured = positions.map((position) => ({
      position,
      generation: tracker.partition(position.topic, position.partition).generation,
    }));
    return this.#enqueue(() =>
      captured
        .filter(({ position, generation }) => {
          const state = tracker.partition(position.topic, position.partition);
          return state.generation === generation && state.committed !== position.offset;
        })
        .map(({ position }) => position),
    );
  }

  #enqueue(positionsOf: () => readonly CommitPosition[]): Promise<void> {
    this.#queued += 1;
    const run = this.#chain.then(async () => {
      try {
        if (!this.#deps.canCommit()) return;
        const positions = positionsOf();
        if (positions.length === 0) return;
        const { tracker } = this.#deps;
        const generations = positions.map(
          (p) => tracker.partition(p.topic, p.partition).generation,
        );
        await this.#deps.send(positions);
        for (const [i, position] of positions.entries()) {
          // Revoked while the commit was on its way: the reset ledger is not at that offset.
          if (tracker.partition(position.topic, position.partition).generation === generations[i]) {
            tracker.markCommitted(position);
          }
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
