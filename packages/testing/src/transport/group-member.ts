import {
  type ConsumerStatus,
  ErrorCodes,
  type InboundMessage,
  type MessageHandler,
  type ResolvedKqConf,
  StateError,
  TransportError,
  type TransportEvent,
  toError,
} from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import type { ConsumerGroup, GroupMemberHandle, PartitionStart } from '../broker/consumer-group.js';
import type { FakeTopic } from '../broker/topic.js';
import { PartitionFetcher } from './partition-fetcher.js';

type MemberState = 'created' | 'active' | 'stopping' | 'stopped' | 'crashed';

export interface GroupMemberOptions {
  readonly memberId: string;
  readonly conf: ResolvedKqConf;
  readonly topic: FakeTopic;
  readonly group: ConsumerGroup;
  readonly handler: MessageHandler;
  readonly autoCommit: boolean;
  readonly commitIntervalMs: number;
  /** On revocation, how long to wait for the partition's runs before handing it over. */
  readonly revokeGraceMs?: number;
  readonly emit: (event: TransportEvent) => void;
}

/**
 * One group member (one of a conf's `conns`): a fetch loop per assigned
 * partition, core's `Dispatcher` for the runs, and the commit / revoke /
 * stop / crash rules of a Kafka consumer.
 */
export class GroupMember implements GroupMemberHandle {
  readonly memberId: string;
  readonly topic: string;
  readonly #options: GroupMemberOptions;
  readonly #dispatcher: Dispatcher;
  readonly #fetchers = new Map<number, PartitionFetcher>();
  /** Fetch loops of revoked partitions that have not exited yet. */
  readonly #retiring = new Set<Promise<void>>();
  #state: MemberState = 'created';
  #commitQueued = false;
  #interval: NodeJS.Timeout | undefined;

  constructor(options: GroupMemberOptions) {
    this.#options = options;
    this.memberId = options.memberId;
    this.topic = options.topic.name;
    // Only a member that commits after every run needs to hear when one ends.
    const commitPerRun = options.autoCommit && options.commitIntervalMs <= 0;
    this.#dispatcher = new Dispatcher({
      processors: options.conf.processors,
      ordering: options.conf.ordering,
      maxUncommitted: options.conf.maxUncommitted,
      handler: commitPerRun ? (message) => this.#run(message) : options.handler,
    });
  }

  /** Partitions this member fetches now, ascending. */
  get partitions(): number[] {
    return [...this.#fetchers.keys()].sort((a, b) => a - b);
  }

  get state(): MemberState {
    return this.#state;
  }

  /** Where this member is, as `Transport.status()` reports it. */
  status(): ConsumerStatus {
    const { conf } = this.#options;
    return {
      group: conf.group,
      topic: this.topic,
      joined: this.#state === 'active',
      partitions: this.partitions,
      uncommitted: 0,
      heldPartitions: this.#dispatcher.held(),
    };
  }

  /** Joins the group; resolves once the rebalance that includes this member is done. */
  async join(): Promise<void> {
    if (this.#state !== 'created') throw new StateError(`member ${this.memberId} already joined`);
    this.#state = 'active';
    const { autoCommit, commitIntervalMs } = this.#options;
    if (autoCommit && commitIntervalMs > 0) {
      this.#interval = setInterval(() => void this.commit(), commitIntervalMs);
      this.#interval.unref();
    }
    await this.#options.group.join(this);
  }

  assign(partitions: readonly PartitionStart[]): void {
    // A stopping member is about to leave; the group moves these on when it does.
    if (this.#state !== 'active') return;
    const { topic, conf } = this.#options;
    for (const { partition, committed } of partitions) {
      const log = topic.log(partition);
      const from = committed ?? (conf.offset === 'first' ? log.startOffset : log.endOffset);
      this.#fetchers.set(
        partition,
        new PartitionFetcher({
          topic: topic.name,
          partition,
          log,
          from,
          dispatch: (message) => this.#dispatch(message),
          onError: (error) => this.#report(error),
        }),
      );
    }
    this.#emitPartitions(
      'assigned',
      partitions.map((p) => p.partition),
    );
  }

  async revoke(partitions: readonly number[]): Promise<void> {
    if (this.#state !== 'active' && this.#state !== 'stopping') return;
    const owned = partitions.filter((p) => this.#fetchers.has(p));
    for (const p of owned) this.#retire(this.#fetchers.get(p)!);
    // Nothing new starts for them now; give their runs a bounded time to finish and be committed.
    const grace = this.#options.revokeGraceMs ?? 0;
    if (grace > 0) {
      await Promise.all(owned.map((p) => this.#dispatcher.settled(this.topic, p, grace)));
    }
    await this.commit();
    for (const p of owned) {
      this.#fetchers.delete(p);
      // Runs still in flight for p finish unseen; the next owner redoes them.
      this.#dispatcher.revoke(this.topic, p);
    }
    this.#emitPartitions('revoked', owned);
  }

  /** Commits every finished, contiguous run of offsets on the partitions this member owns. */
  async commit(): Promise<void> {
    if (this.#state !== 'active' && this.#state !== 'stopping') return;
    const { group, conf } = this.#options;
    for (const position of this.#dispatcher.tracker.pending()) {
      if (!this.#fetchers.has(position.partition)) continue;
      if (group.commit(this.memberId, position.topic, position.partition, position.offset)) {
        this.#dispatcher.tracker.markCommitted(position);
        this.#options.emit({
          type: 'committed',
          group: conf.group,
          topic: position.topic,
          partition: position.partition,
          offset: String(position.offset),
        });
      } else {
        this.#report(
          new TransportError(
            ErrorCodes.TransportFailed,
            `group "${conf.group}" rejected the commit of ${position.topic}[${position.partition}]@${position.offset}: member ${this.memberId} does not own the partition`,
          ),
        );
      }
    }
  }

  /**
   * Stops fetching, waits for every run it started to settle and commits
   * what finished. The member stays in the group (owning its partitions)
   * until `leave()`, so draining several members causes no rebalance.
   */
  async drain(): Promise<void> {
    if (this.#state === 'created') {
      this.#state = 'stopped';
      return;
    }
    if (this.#state !== 'active') return;
    this.#state = 'stopping';
    clearInterval(this.#interval);
    await Promise.all([...[...this.#fetchers.values()].map((f) => f.stop()), ...this.#retiring]);
    await this.#dispatcher.idle();
    await this.commit();
  }

  /** Leaves the group after `drain()`; resolves once the other members own its partitions. */
  async leave(): Promise<void> {
    if (this.#state !== 'stopping') return;
    const partitions = this.partitions;
    this.#fetchers.clear();
    this.#state = 'stopped';
    this.#emitPartitions('revoked', partitions);
    await this.#options.group.leave(this.memberId);
  }

  /**
   * Dies like a killed process: no commit, no events, results of runs still
   * in flight are dropped. Resolves once the group moved its partitions on.
   */
  crash(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'crashed') return Promise.resolve();
    this.#state = 'crashed';
    clearInterval(this.#interval);
    for (const [partition, fetcher] of this.#fetchers) {
      void fetcher.stop();
      this.#dispatcher.revoke(this.topic, partition);
    }
    this.#fetchers.clear();
    return this.#options.group.leave(this.memberId);
  }

  /**
   * Dispatches; `undefined` when the run started on the spot (a processor was
   * free), so the fetch loop goes on without a turn of the microtask queue.
   * The dispatcher counts a run in flight synchronously only when it started
   * it synchronously; otherwise the fetch loop waits on the promise.
   */
  #dispatch(message: InboundMessage): Promise<boolean> | undefined {
    const before = this.#dispatcher.inFlight;
    const started = this.#dispatcher.dispatch(message);
    return this.#dispatcher.inFlight > before ? undefined : started;
  }

  async #run(message: InboundMessage): Promise<void> {
    try {
      await this.#options.handler(message);
    } finally {
      this.#queueCommit();
    }
  }

  #queueCommit(): void {
    const { autoCommit, commitIntervalMs } = this.#options;
    if (!autoCommit || commitIntervalMs > 0 || this.#commitQueued || this.#state !== 'active') {
      return;
    }
    this.#commitQueued = true;
    // After the dispatcher recorded the run (a microtask later), once per event-loop turn.
    setImmediate(() => {
      this.#commitQueued = false;
      void this.commit();
    });
  }

  #retire(fetcher: PartitionFetcher): void {
    const exited = fetcher.stop();
    this.#retiring.add(exited);
    void exited.finally(() => this.#retiring.delete(exited));
  }

  #emitPartitions(type: 'assigned' | 'revoked', partitions: readonly number[]): void {
    if (partitions.length === 0) return;
    this.#options.emit({
      type,
      group: this.#options.conf.group,
      topic: this.topic,
      partitions: [...partitions].sort((a, b) => a - b),
    });
  }

  #report(error: unknown): void {
    if (this.#state === 'crashed') return;
    this.#options.emit({ type: 'error', error: toError(error), group: this.#options.conf.group });
  }
}
