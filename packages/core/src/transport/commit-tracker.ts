import { PartitionState } from './partition-state.js';

export interface CommitPosition {
  readonly topic: string;
  readonly partition: number;
  /** The offset to commit: every message below it is finished. */
  readonly offset: number;
}

/**
 * The partitions a dispatcher tracks, each one `PartitionState`, and how far
 * each may be committed: only ever over a contiguous run of finished
 * messages, never past one still running or not done.
 *
 * The per-offset methods (`begin`, `complete`, ...) look the partition up on
 * each call; a transport's fetch loop resolves `partition()` once per batch
 * and goes through the `Dispatcher` instead.
 */
export class CommitTracker {
  /** Topic, then partition: no key string built per lookup. */
  readonly #partitions = new Map<string, Map<number, PartitionState>>();

  /** The partition's state, created on first use; the same object until the tracker goes away. */
  partition(topic: string, partition: number): PartitionState {
    let byPartition = this.#partitions.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.#partitions.set(topic, byPartition);
    }
    let state = byPartition.get(partition);
    if (!state) {
      state = new PartitionState(topic, partition);
      byPartition.set(partition, state);
    }
    return state;
  }

  /** Every partition tracked (for status, not the hot path). */
  *partitions(): IterableIterator<PartitionState> {
    for (const byPartition of this.#partitions.values()) yield* byPartition.values();
  }

  #find(topic: string, partition: number): PartitionState | undefined {
    return this.#partitions.get(topic)?.get(partition);
  }

  /** A message was handed to a handler. Call in offset order per partition. */
  begin(topic: string, partition: number, offset: number): void {
    this.partition(topic, partition).begin(offset);
  }

  /** The handler finished the message. Returns false if it was not being tracked. */
  complete(topic: string, partition: number, offset: number): boolean {
    const state = this.#find(topic, partition);
    if (!state) return false;
    const seq = state.seqOf(offset);
    return seq >= 0 && state.complete(seq);
  }

  /**
   * The handler gave up on the message without finishing it (shutdown). It
   * stays in the ledger, so nothing at or after it is ever committed.
   */
  abandon(topic: string, partition: number, offset: number): void {
    const state = this.#find(topic, partition);
    const seq = state ? state.seqOf(offset) : -1;
    if (seq >= 0) state!.abandon(seq);
  }

  /** Positions that moved since they were last marked committed. */
  pending(): CommitPosition[] {
    const out: CommitPosition[] = [];
    for (const byPartition of this.#partitions.values()) {
      for (const state of byPartition.values()) {
        const { committable } = state;
        if (committable !== undefined && committable !== state.committed) {
          out.push({ topic: state.topic, partition: state.partition, offset: committable });
        }
      }
    }
    return out;
  }

  /**
   * Finished runs not covered by a commit yet (`markCommitted`): below the
   * committable position, and finished beyond a run still going. What a crash
   * or a failed final commit would make run again.
   */
  finishedUncommitted(): number {
    let count = 0;
    for (const byPartition of this.#partitions.values()) {
      for (const state of byPartition.values()) count += state.finishedUncommitted();
    }
    return count;
  }

  markCommitted(position: CommitPosition): void {
    const state = this.#find(position.topic, position.partition);
    if (state && (state.committed === undefined || position.offset > state.committed)) {
      state.committed = position.offset;
    }
  }

  /** Forget a partition (revoked): its messages are the next owner's now. */
  forget(topic: string, partition: number): void {
    this.#find(topic, partition)?.reset();
  }

  /** Messages begun and neither completed nor abandoned. */
  get inFlight(): number {
    let open = 0;
    for (const byPartition of this.#partitions.values()) {
      for (const state of byPartition.values()) open += state.open;
    }
    return open;
  }
}
