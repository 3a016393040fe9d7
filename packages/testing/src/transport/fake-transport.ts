import {
  type ConsumerStatus,
  type DeadLetterSink,
  type MessageHandler,
  type ResolvedKqConf,
  StateError,
  type Transport,
  type TransportEvent,
  type TransportListener,
} from '@tasks/core';
import type { BrokerLink } from '../broker/broker-link.js';
import { FakeDeadLetterSink } from '../dead-letter/fake-dead-letter-sink.js';
import { GroupMember } from './group-member.js';
import {
  type FakeTransportOptions,
  type ResolvedFakeTransportOptions,
  resolveFakeTransportOptions,
} from './options.js';

/** Where a fake transport is in its life. */
export type FakeTransportState =
  | 'idle'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'crashed';

interface Subscription {
  readonly conf: ResolvedKqConf;
  readonly handler: MessageHandler;
}

/**
 * core's `Transport` over a `FakeBroker`: one instance stands for one worker
 * process. Each subscribed conf opens `conf.conns` group members; each member
 * runs at most `conf.processors` handlers (in the order `conf.ordering`
 * asks for) through core's `Dispatcher`.
 *
 * Create it with `broker.transport()`.
 */
export class FakeTransport implements Transport {
  readonly name: string;
  readonly clientId: string;
  readonly #link: BrokerLink;
  readonly #options: ResolvedFakeTransportOptions;
  readonly #subscriptions: Subscription[] = [];
  readonly #members: GroupMember[] = [];
  readonly #listeners = new Set<TransportListener>();
  #state: FakeTransportState = 'idle';
  #stopping: Promise<void> | undefined;

  /** @internal Use `broker.transport()`. */
  constructor(link: BrokerLink, options: FakeTransportOptions = {}) {
    this.#link = link;
    this.#options = resolveFakeTransportOptions(options);
    this.name = this.#options.name;
    this.clientId = this.#options.clientId ?? link.nextClientId();
  }

  get state(): FakeTransportState {
    return this.#state;
  }

  /** The group member ids this transport opened, in creation order. */
  get memberIds(): string[] {
    return this.#members.map((m) => m.memberId);
  }

  /**
   * Where each group member is: its group, topic and partitions, and the
   * partitions held at the conf's `maxUncommitted`. (A fake broker never
   * loses a commit, so `uncommitted` stays 0.)
   */
  status(): ConsumerStatus[] {
    return this.#members.map((m) => m.status());
  }

  /** Partitions this transport's members fetch now, ascending; only `topic`'s if given. */
  assignedPartitions(topic?: string): number[] {
    return this.#members
      .filter((m) => topic === undefined || m.topic === topic)
      .flatMap((m) => m.partitions)
      .sort((a, b) => a - b);
  }

  /** Adds a conf to consume with `handler`; only before `start()`. */
  subscribe(conf: ResolvedKqConf, handler: MessageHandler): void {
    if (this.#state !== 'idle') {
      throw new StateError(`subscribe() must come before start(); the transport is ${this.#state}`);
    }
    this.#subscriptions.push({ conf, handler });
  }

  /**
   * Opens the members and joins their groups. Resolves once every member has
   * its first assignment. Throws `TopicNotFound` for a topic that does not
   * exist when the broker does not auto-create topics.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError(`start() called while ${this.#state}`);
    this.#state = 'starting';
    try {
      for (const { conf, handler } of this.#subscriptions) {
        const topic = this.#link.topicForConsumer(conf.topic);
        for (let i = 0; i < conf.conns; i++) {
          this.#members.push(
            new GroupMember({
              memberId: this.#link.nextMemberId(this.clientId),
              conf,
              topic,
              group: this.#link.group(conf.group),
              handler,
              autoCommit: this.#options.autoCommit,
              commitIntervalMs: this.#options.commitIntervalMs,
              revokeGraceMs: this.#options.revokeGraceMs,
              emit: (event) => this.#emit(event),
            }),
          );
        }
      }
      await Promise.all(this.#members.map((m) => m.join()));
      if (this.#state === 'starting') this.#state = 'running';
    } catch (error) {
      this.#state = 'stopped';
      await Promise.all(this.#members.map((m) => m.crash()));
      throw error;
    }
  }

  /** Commits every finished, contiguous run of offsets now. */
  async commit(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.commit()));
  }

  /**
   * Stops fetching, waits for every handler it started to settle, commits
   * what finished and leaves the groups. Safe to call more than once; after
   * `crash()` it does nothing.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Simulates the process dying: members leave their groups at once without
   * committing, and whatever their handlers still do is ignored. The next
   * owner of each partition resumes from the group's last commit. Resolves
   * once the group has rebalanced without this transport.
   */
  async crash(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'crashed') return;
    this.#state = 'crashed';
    await Promise.all(this.#members.map((m) => m.crash()));
  }

  /** Writes dead letters to this transport's broker. */
  deadLetters(): DeadLetterSink {
    return new FakeDeadLetterSink(this.#link);
  }

  /**
   * Listens to `assigned`, `revoked`, `committed` and `error` events (none
   * after a crash). Returns a function that removes the listener.
   */
  onEvent(listener: TransportListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async #stop(): Promise<void> {
    if (this.#state === 'crashed' || this.#state === 'stopped') return;
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    // Drain every member before any leaves: leaving one by one would move
    // partitions between members that are all stopping.
    await Promise.all(this.#members.map((m) => m.drain()));
    await Promise.all(this.#members.map((m) => m.leave()));
    if (this.#state === 'stopping') this.#state = 'stopped';
  }

  #emit(event: TransportEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the transport carries on.
      }
    }
  }
}
