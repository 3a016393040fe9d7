import { PartitionRevokedError } from '../errors/index.js';
import { AbortRace } from './abort-race.js';

/** What the runs of one partition (until it is revoked) share: their signal and one race on it. */
export class PartitionSignal {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal = this.#controller.signal;
  readonly race: AbortRace = new AbortRace(this.signal);

  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }
}

/**
 * The signals of one conf's partitions: each fires when its partition is
 * revoked (reason `PartitionRevokedError`) or the server stops (the server's
 * reason). A revoked partition gets a fresh signal for its next runs, so a
 * re-assignment starts clean while the old runs stay aborted.
 *
 * One listener per partition and generation, not per message: the runs of a
 * partition share its signal and its `AbortRace`.
 */
export class PartitionSignals {
  readonly #topic: string;
  readonly #parent: AbortSignal;
  readonly #byPartition = new Map<number, PartitionSignal>();

  constructor(topic: string, parent: AbortSignal) {
    this.#topic = topic;
    this.#parent = parent;
    parent.addEventListener(
      'abort',
      () => {
        for (const entry of this.#byPartition.values()) entry.abort(parent.reason);
      },
      { once: true },
    );
  }

  get(partition: number): PartitionSignal {
    let entry = this.#byPartition.get(partition);
    if (entry === undefined) {
      entry = new PartitionSignal();
      if (this.#parent.aborted) entry.abort(this.#parent.reason);
      this.#byPartition.set(partition, entry);
    }
    return entry;
  }

  /** Aborts the runs of these partitions; later runs get a new signal. */
  revoke(partitions: readonly number[]): void {
    for (const partition of partitions) {
      const entry = this.#byPartition.get(partition);
      if (entry === undefined) continue;
      this.#byPartition.delete(partition);
      entry.abort(new PartitionRevokedError(this.#topic, partition));
    }
  }
}
