import type { TransportEvent } from '@tasks/core';
import type { Dispatcher } from '@tasks/core/transport';
import { Assignment, type TopicPartitions } from './assignment.js';
import type { CommitScheduler } from './commit-scheduler.js';

export interface RebalanceDeps {
  readonly group: string;
  readonly dispatcher: Dispatcher;
  readonly scheduler: CommitScheduler;
  readonly emit: (event: TransportEvent) => void;
  /** Hands a revoked partition over to another member of the process (after the revoked event). */
  readonly release?: (topic: string, partition: number) => void;
}

const noop = () => {};

/**
 * What a group member does around rebalances, driven by kafkajs's
 * instrumentation events:
 *
 * - `REBALANCING` (kafkajs is about to re-join): commit every finished run
 *   while the partitions are still ours (the broker takes the old
 *   generation's commit until the group re-forms); the group member also
 *   waits there (up to `revokeGraceMs`) for the runs in flight, and before
 *   the re-join itself when a heartbeat saw the rebalance;
 * - `GROUP_JOIN`: partitions that went away are revoked at once, before the
 *   next fetch (runs still in flight for them no longer count, and their
 *   `ctx.signal` fires with a `PartitionRevokedError` through the `revoked`
 *   event; the new owner starts from the committed offset; nothing more is
 *   committed for them), and reported;
 * - the first `FETCH` started after the join: kafkajs has resolved where each
 *   new partition starts (for `offset: "last"`, the end offset), so they are
 *   announced as `assigned` only now: a message pushed after the event is consumed.
 */
export class RebalanceHandler {
  readonly #deps: RebalanceDeps;
  readonly #assignment = new Assignment();
  /** Assigned at the last join, announced once a fetch started after it completes. */
  #unannounced: readonly TopicPartitions[] | undefined;
  readonly #fetchingSinceJoin = new Set<number>();

  constructor(deps: RebalanceDeps) {
    this.#deps = deps;
  }

  /** The partitions of `topic` this member owns now. */
  partitionsOf(topic: string): number[] {
    return this.#assignment.partitionsOf(topic);
  }

  onRebalancing(): void {
    const finished = this.#deps.dispatcher.tracker.pending();
    if (finished.length > 0) this.#deps.scheduler.commitPositions(finished).catch(noop);
  }

  /**
   * Returns how many finished runs of the revoked partitions were not
   * committed: their new owner runs them again. Normally 0 (they were
   * committed at `REBALANCING`); not when kafkajs re-joined from inside a
   * fetch (stale metadata, a partition count change), which emits no event
   * first, or when that commit failed.
   */
  onJoin(memberAssignment: Readonly<Record<string, readonly number[]>>): number {
    const { assigned, revoked } = this.#assignment.update(memberAssignment);
    let uncommitted = 0;
    for (const { topic, partitions } of revoked) {
      for (const partition of partitions) {
        uncommitted += this.#deps.dispatcher.partition(topic, partition).finishedUncommitted();
      }
    }
    this.#revoke(revoked);
    this.#unannounced = [...(this.#unannounced ?? []), ...assigned].filter(({ topic }) =>
      Object.hasOwn(memberAssignment, topic),
    );
    this.#fetchingSinceJoin.clear();
    return uncommitted;
  }

  onFetchStart(nodeId: number): void {
    if (this.#unannounced) this.#fetchingSinceJoin.add(nodeId);
  }

  /** Returns true when this fetch completes a join: the start positions are resolved. */
  onFetch(nodeId: number): boolean {
    if (!this.#unannounced || !this.#fetchingSinceJoin.has(nodeId)) return false;
    const assigned = this.#unannounced;
    this.#unannounced = undefined;
    this.#fetchingSinceJoin.clear();
    for (const { topic, partitions } of assigned) {
      const owned = partitions.filter((p) => this.#assignment.has(topic, p));
      if (owned.length > 0) {
        this.#deps.emit({ type: 'assigned', group: this.#deps.group, topic, partitions: owned });
      }
    }
    return true;
  }

  /** The member lost its consumer (crash) or is leaving: everything is revoked, nothing committed. */
  dropAll(): void {
    this.#unannounced = undefined;
    this.#fetchingSinceJoin.clear();
    this.#revoke(this.#assignment.clear());
  }

  #revoke(revoked: readonly TopicPartitions[]): void {
    const { dispatcher, emit, group, release } = this.#deps;
    for (const { topic, partitions } of revoked) {
      for (const partition of partitions) dispatcher.revoke(topic, partition);
      // Aborts the signal of the runs still going (PartitionRevokedError); their results no longer count.
      emit({ type: 'revoked', group, topic, partitions });
      if (release) for (const partition of partitions) release(topic, partition);
    }
  }
}
