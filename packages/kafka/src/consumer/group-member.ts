import {
  type ConsumerStatus,
  type Logger,
  type MessageHandler,
  type ResolvedKqConf,
  ShutdownError,
  StateError,
  type TransportEvent,
} from '@tasks/core';
import { type CommitPosition, Dispatcher } from '@tasks/core/transport';
import type { Consumer, Kafka } from 'kafkajs';
import { ensureTopics } from '../client/topics.js';
import { isRebalanceError, toTransportError } from '../errors/map-error.js';
import { pause, reconnectDelay, unlessAborted } from './backoff.js';
import { CommitScheduler } from './commit-scheduler.js';
import { toConsumerConfig, toRunConfig, toSubscription } from './consumer-config.js';
import { FetchLoop } from './fetch-loop.js';
import type { ResolvedTransportOptions } from './options.js';
import type { PartitionOwners } from './partition-owners.js';
import { RebalanceHandler } from './rebalance.js';

export interface GroupMemberDeps {
  readonly kafka: Kafka;
  /** The same brokers without kafkajs's retries: the topic check before each attempt. */
  readonly probe?: Kafka;
  readonly conf: ResolvedKqConf;
  readonly handler: MessageHandler;
  readonly options: ResolvedTransportOptions;
  readonly logger: Logger;
  readonly emit: (event: TransportEvent) => void;
  /** e.g. `group "g" on "t" (member 1/2)`, for log lines. */
  readonly label: string;
  /** Shared by the conf's members in this process: who hands out each partition now. */
  readonly owners?: PartitionOwners;
}

type State = 'idle' | 'connecting' | 'running' | 'stopping' | 'stopped';

/** A wait longer than this is logged again as a warning while it lasts. */
const slowWaitMs = 5_000;

const noop = () => {};

/**
 * One member of a consumer group (go-queue's "conn"): a kafkajs consumer, the
 * shared `Dispatcher` for its runs, commit scheduling and rebalance handling.
 * It (re)connects with capped backoff until stopped; kafkajs's own restart is
 * off so that every attempt is visible and `stop()` can cut it short.
 */
export class GroupMember {
  readonly #deps: GroupMemberDeps;
  readonly #dispatcher: Dispatcher;
  readonly #scheduler: CommitScheduler;
  readonly #rebalance: RebalanceHandler;
  readonly #stop = new AbortController();
  #state: State = 'idle';
  /** The live kafkajs consumer; events from any other (older) one are ignored. */
  #consumer: Consumer | undefined;
  #fetchLoop: FetchLoop | undefined;
  #connecting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #lastFetchAt: number | undefined;
  #lastCommitAt: number | undefined;
  #reconnectingSince: number | undefined;
  #uncommitted = 0;
  #waiting: { what: string; since: number; slow: boolean; timer: NodeJS.Timeout } | undefined;
  /** The wait before re-joining of the rebalance under way (one per rebalance). */
  #draining: Promise<void> | undefined;

  constructor(deps: GroupMemberDeps) {
    this.#deps = deps;
    const { conf, handler, options } = deps;
    this.#dispatcher = new Dispatcher({
      processors: conf.processors,
      ordering: conf.ordering,
      maxUncommitted: conf.maxUncommitted,
      logger: deps.logger,
      label: deps.label,
      handler,
    });
    this.#scheduler = new CommitScheduler({
      tracker: this.#dispatcher.tracker,
      intervalMs: options.commitIntervalMs,
      canCommit: () => this.#consumer !== undefined && this.#state !== 'connecting',
      send: (positions) => this.#sendCommit(positions),
      onCommitted: (position) => {
        this.#lastCommitAt = Date.now();
        deps.emit({
          type: 'committed',
          group: conf.group,
          topic: position.topic,
          partition: position.partition,
          offset: String(position.offset),
        });
      },
      onError: (error) => this.#onCommitError(error),
    });
    const owners = deps.owners;
    this.#rebalance = new RebalanceHandler({
      group: conf.group,
      dispatcher: this.#dispatcher,
      scheduler: this.#scheduler,
      emit: deps.emit,
      ...(owners ? { release: (topic, partition) => owners.release(topic, partition, this) } : {}),
    });
  }

  /**
   * Connects, joins the group and resolves once the first fetch resolved the
   * start positions. Retries connection failures with backoff (each attempt
   * logged and reported); rejects at once on what retrying cannot fix (refused
   * credentials, a missing topic), and with a `ShutdownError` if stopped first.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError(`start() called while ${this.#state}`);
    this.#state = 'connecting';
    this.#beginWait('joining the group');
    this.#connecting = this.#connect(true);
    try {
      await this.#connecting;
      this.#endWait();
    } finally {
      this.#connecting = undefined;
      this.#clearWait();
    }
    this.#scheduler.start();
  }

  /** Where this member is now: joined, partitions, last fetch and commit, the wait in progress. */
  status(): ConsumerStatus {
    const { group, topic } = this.#deps.conf;
    const waiting = this.#waiting;
    return {
      group,
      topic,
      joined: this.#state === 'running' && this.#consumer !== undefined && !waiting,
      partitions: this.#rebalance.partitionsOf(topic),
      uncommitted: this.#uncommitted,
      heldPartitions: this.#dispatcher.held(),
      ...(this.#lastFetchAt === undefined ? {} : { lastFetchAt: this.#lastFetchAt }),
      ...(this.#lastCommitAt === undefined ? {} : { lastCommitAt: this.#lastCommitAt }),
      ...(this.#reconnectingSince === undefined
        ? {}
        : { reconnectingSince: this.#reconnectingSince }),
      ...(waiting ? { waiting: { what: waiting.what, since: waiting.since } } : {}),
    };
  }

  /** Logs the start of a wait, a warning if it lasts, and (with `#endWait`) its end. */
  #beginWait(what: string, hint = ''): void {
    this.#clearWait();
    const { logger, label } = this.#deps;
    const since = Date.now();
    logger.info(`${label}: ${what}`);
    const timer = setTimeout(() => {
      if (this.#waiting?.timer !== timer) return;
      this.#waiting.slow = true;
      logger.warn(`${label}: still ${what} after ${Date.now() - since} ms${hint}`, {
        waitingMs: Date.now() - since,
      });
    }, slowWaitMs);
    timer.unref();
    this.#waiting = { what, since, slow: false, timer };
  }

  #endWait(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#clearWait();
    const { logger, label, conf } = this.#deps;
    const ms = Date.now() - waiting.since;
    const fields = { waitedMs: ms, partitions: this.#rebalance.partitionsOf(conf.topic) };
    const line = `${label}: done ${waiting.what} after ${ms} ms`;
    if (waiting.slow) logger.warn(line, fields);
    else logger.info(line, fields);
  }

  #clearWait(): void {
    if (this.#waiting) clearTimeout(this.#waiting.timer);
    this.#waiting = undefined;
  }

  /** Commits every finished, contiguous run now; rejects with a `TransportError`. */
  async commit(): Promise<void> {
    try {
      await this.#scheduler.commitPending();
    } catch (error) {
      throw toTransportError(error, {
        operation: `${this.#deps.label}: committing`,
        brokers: this.#deps.conf.brokers,
      });
    }
  }

  /** Stops fetching, waits for the runs it started, commits, leaves the group. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  #stoppedError(): ShutdownError {
    return new ShutdownError(`${this.#deps.label}: stopped before it connected`);
  }

  async #connect(initial: boolean): Promise<void> {
    const { conf, options, logger, label } = this.#deps;
    for (let attempt = 1; ; attempt++) {
      if (this.#stopped) throw this.#stoppedError();
      try {
        const partitions = await unlessAborted(
          ensureTopics(
            this.#deps.kafka,
            [conf.topic],
            options.createTopics,
            {
              brokers: conf.brokers,
              label: `${label}: `,
              signal: this.#stop.signal,
              countPartitions: true,
              ...(this.#deps.probe ? { probe: this.#deps.probe } : {}),
            },
            logger,
          ),
          this.#stop.signal,
          () => this.#stoppedError(),
        );
        await this.#runConsumer(partitions.get(conf.topic));
        if (this.#stopped) throw this.#stoppedError();
        this.#state = 'running';
        if (attempt > 1) logger.info(`${label}: connected after ${attempt} attempts`);
        return;
      } catch (error) {
        if (this.#stopped) throw this.#stoppedError();
        const failure = toTransportError(error, {
          operation: `${label}: connecting`,
          brokers: conf.brokers,
        });
        if (initial && !failure.retriable) {
          this.#deps.emit({ type: 'error', error: failure, group: conf.group });
          throw failure;
        }
        const delayMs = reconnectDelay(attempt, options.reconnect);
        // One line per attempt per member, with the backoff; listeners are told it is logged.
        logger.warn(`${failure.message} (attempt ${attempt}; retrying in ${delayMs} ms)`, {
          code: failure.code,
          attempt,
          delayMs,
        });
        this.#deps.emit({ type: 'error', error: failure, group: conf.group, logged: true });
        if (!(await pause(delayMs, this.#stop.signal))) throw this.#stoppedError();
      }
    }
  }

  /** One kafkajs consumer, from connect to its first fetch after joining. */
  async #runConsumer(partitions: number | undefined): Promise<void> {
    const { kafka, conf, options, logger } = this.#deps;
    const consumer = kafka.consumer(toConsumerConfig(conf, options, partitions));
    const loop = new FetchLoop({
      dispatcher: this.#dispatcher,
      heartbeatEveryMs: Math.max(50, Math.floor(options.heartbeatIntervalMs / 2)),
      stopSignal: this.#stop.signal,
      accepting: () => this.#consumer === consumer && !this.#stopped,
      logger,
      report: (error) => this.#deps.emit({ type: 'error', error, group: conf.group }),
      beforeRejoin: () => this.#beforeRejoin(),
      ...(this.#deps.owners
        ? {
            handover: (topic: string, partition: number) =>
              this.#deps.owners?.acquire(topic, partition, this),
          }
        : {}),
    });
    this.#consumer = consumer;
    this.#fetchLoop = loop;
    // A rebalance a crash cut short (no join) leaves no wait behind for the next one.
    this.#draining = undefined;
    let ready = false;
    const joined = new Promise<void>((resolve, reject) => {
      const current = () => this.#consumer === consumer;
      const { events } = consumer;
      consumer.on(events.REBALANCING, () => {
        if (!current()) return;
        this.#rebalance.onRebalancing();
        // kafkajs is re-joining already (it saw the rebalance itself): wait and commit meanwhile.
        void this.#beforeRejoin();
        if (this.#state === 'running' && !this.#waiting) {
          this.#beginWait(
            'rebalancing',
            ' (waiting for every member to re-join; a member that died is dropped after its session timeout)',
          );
        }
      });
      consumer.on(events.GROUP_JOIN, ({ payload }) => {
        if (!current()) return;
        const draining = this.#draining;
        this.#draining = undefined;
        const lost = this.#rebalance.onJoin(payload.memberAssignment);
        if (lost > 0) {
          // kafkajs re-joined from inside a fetch (no REBALANCING first), or the commit failed.
          this.#uncommitted += lost;
          logger.warn(
            `${this.#deps.label}: ${lost} finished runs on revoked partitions were not committed before the re-join${draining ? '' : ' (kafkajs re-joined without a rebalance event)'}; their new owner runs them again`,
            { uncommitted: lost },
          );
        }
        // With no partitions there is no fetch to wait for: the rebalance is over.
        if (
          this.#waiting?.what === 'rebalancing' &&
          this.#rebalance.partitionsOf(this.#deps.conf.topic).length === 0
        ) {
          this.#endWait();
        }
        logger.debug(`${this.#deps.label}: joined the group`, {
          assignment: payload.memberAssignment,
        });
      });
      consumer.on(events.FETCH_START, ({ payload }) => {
        if (current()) this.#rebalance.onFetchStart(payload.nodeId);
      });
      consumer.on(events.FETCH, ({ payload }) => {
        if (!current()) return;
        this.#lastFetchAt = Date.now();
        if (this.#rebalance.onFetch(payload.nodeId)) {
          if (this.#waiting?.what === 'rebalancing') this.#endWait();
          resolve();
        }
      });
      consumer.on(events.CRASH, ({ payload }) => {
        if (!current()) return;
        if (ready) this.#onCrash(consumer, payload.error);
        else reject(payload.error);
      });
    });
    joined.catch(noop);
    let pending: Promise<unknown> = Promise.resolve();
    const step = <T>(work: Promise<T>): Promise<T> => {
      pending = work;
      return unlessAborted(work, this.#stop.signal, () => this.#stoppedError());
    };
    try {
      await step(consumer.connect());
      await step(consumer.subscribe(toSubscription(conf)));
      await step(consumer.run(toRunConfig(conf, loop.eachBatch)));
      await step(joined);
      ready = true;
    } catch (error) {
      this.#consumer = undefined;
      this.#rebalance.dropAll();
      // A connect or join still in flight may open sockets later: disconnect
      // now and again once it settles, so nothing is left running.
      const disconnect = () => consumer.disconnect().catch(noop);
      void disconnect();
      pending.then(disconnect, disconnect);
      throw error;
    }
  }

  #onCrash(consumer: Consumer, error: Error): void {
    const { conf, logger, label } = this.#deps;
    this.#consumer = undefined;
    this.#countUncommitted('the connection was lost');
    this.#rebalance.dropAll();
    consumer.disconnect().catch(noop);
    const failure = toTransportError(error, {
      operation: `${label}: consuming`,
      brokers: conf.brokers,
    });
    this.#deps.emit({ type: 'error', error: failure, group: conf.group, logged: !this.#stopped });
    if (this.#stopped) return;
    logger.error(`${failure.message}; reconnecting`, { code: failure.code });
    this.#state = 'connecting';
    this.#reconnectingSince = Date.now();
    this.#beginWait('reconnecting');
    this.#connecting = this.#connect(false)
      .then(() => this.#endWait())
      .catch(noop)
      .finally(() => {
        this.#connecting = undefined;
        this.#reconnectingSince = undefined;
        this.#clearWait();
      });
  }

  /**
   * The revocation wait, once per rebalance, before the member re-joins (or
   * while it does, when kafkajs saw the rebalance first): nothing new starts
   * (the fetch loop's batches gave up), the runs in flight get up to
   * `revokeGraceMs` to finish, and what finished is committed while every
   * partition is still this member's. Partitions that then move are revoked
   * at the join: their runs still going are aborted and no longer count.
   */
  #beforeRejoin(): Promise<void> {
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  async #drain(): Promise<void> {
    const { conf, options, logger, label } = this.#deps;
    const grace = options.revokeGraceMs;
    if (grace > 0 && this.#dispatcher.inFlight > 0) {
      const since = Date.now();
      logger.info(
        `${label}: rebalancing; waiting up to ${grace} ms (revokeGraceMs) for ${this.#dispatcher.inFlight} runs in flight before re-joining`,
      );
      const owned = this.#rebalance.partitionsOf(conf.topic);
      const settled = await Promise.all(
        owned.map((partition) => this.#dispatcher.settled(conf.topic, partition, grace)),
      );
      const late = this.#dispatcher.inFlight;
      if (settled.includes(false)) {
        logger.info(
          `${label}: ${late} runs still going after revokeGraceMs (${grace} ms); re-joining (those of partitions that move are aborted)`,
          { inFlight: late },
        );
      } else {
        logger.debug(
          `${label}: runs in flight settled in ${Date.now() - since} ms before re-joining`,
        );
      }
    }
    await this.#scheduler.commitPending().catch((error: unknown) => this.#onCommitError(error));
  }

  async #sendCommit(positions: readonly CommitPosition[]): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) throw new StateError(`${this.#deps.label}: not connected`);
    await consumer.commitOffsets(
      positions.map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset: String(offset),
      })),
    );
  }

  #onCommitError(error: unknown): void {
    const { conf, logger, label } = this.#deps;
    if (isRebalanceError(error) || this.#stopped) {
      logger.debug(`${label}: commit deferred`, { error });
      return;
    }
    const failure = toTransportError(error, {
      operation: `${label}: committing`,
      brokers: conf.brokers,
    });
    logger.warn(failure.message, { code: failure.code });
    this.#deps.emit({ type: 'error', error: failure, group: conf.group });
  }

  async #shutdown(): Promise<void> {
    const wasIdle = this.#state === 'idle';
    this.#state = 'stopping';
    this.#stop.abort();
    if (wasIdle) {
      this.#state = 'stopped';
      return;
    }
    await this.#connecting?.catch(noop);
    const consumer = this.#consumer;
    if (consumer) {
      try {
        consumer.pause([{ topic: this.#deps.conf.topic }]);
      } catch {
        // not running (yet): nothing is being fetched anyway
      }
    }
    await this.#fetchLoop?.idle();
    await this.#dispatcher.idle();
    this.#scheduler.stop();
    if (consumer) {
      await this.#scheduler
        .commitPending()
        .catch((error: unknown) => this.#onFinalCommitError(error));
      this.#countUncommitted('the final commit did not go through');
      this.#consumer = undefined;
      this.#rebalance.dropAll();
      await consumer
        .disconnect()
        .catch((error: unknown) =>
          this.#deps.logger.warn(`${this.#deps.label}: disconnect failed`, { error }),
        );
    }
    this.#state = 'stopped';
    if (this.#uncommitted > 0) {
      this.#deps.logger.warn(
        `${this.#deps.label}: stopped with ${this.#uncommitted} finished runs uncommitted; the next owner runs them again`,
        { uncommitted: this.#uncommitted },
      );
    }
  }

  /** Adds the finished runs a crash or a failed final commit leaves uncommitted, and says so. */
  #countUncommitted(why: string): void {
    const count = this.#dispatcher.tracker.finishedUncommitted();
    if (count === 0) return;
    this.#uncommitted += count;
    this.#deps.logger.warn(
      `${this.#deps.label}: ${count} finished runs could not be committed (${why}); they will run again`,
      { uncommitted: count },
    );
  }

  #onFinalCommitError(error: unknown): void {
    const { conf, label } = this.#deps;
    const failure = toTransportError(error, {
      operation: `${label}: committing at shutdown`,
      brokers: conf.brokers,
    });
    this.#deps.logger.warn(`${failure.message}; the next owner re-reads from the last commit`);
    this.#deps.emit({ type: 'error', error: failure, group: conf.group });
  }
}
