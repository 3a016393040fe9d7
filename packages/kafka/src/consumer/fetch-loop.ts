import type { Logger } from '@tasks/core';
import type { Dispatcher } from '@tasks/core/transport';
import type { EachBatchHandler, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { readUndecodableMark, UndecodableBatchError, undecodableHeader } from '../codecs/index.js';
import { HeartbeatTimer } from './heartbeat-timer.js';
import { toInbound } from './to-inbound.js';

export interface FetchLoopDeps {
  readonly dispatcher: Dispatcher;
  /** How often to heartbeat while batches wait on a free processor. */
  readonly heartbeatEveryMs: number;
  /** Fires when the member stops: waiting batches give up. */
  readonly stopSignal: AbortSignal;
  /** False once this consumer must hand out nothing more (stopping, or replaced). */
  readonly accepting: () => boolean;
  readonly logger: Logger;
  /** Reports what holds a partition (a batch no codec could decode) on the server's error path. */
  readonly report: (error: Error) => void;
  /**
   * Undefined when this member may hand out the partition now; otherwise
   * resolves once another member of the process released it (`PartitionOwners`).
   */
  readonly handover?: (topic: string, partition: number) => Promise<void> | undefined;
  /**
   * Runs once per rebalance seen by a heartbeat, before the batches rethrow it
   * and kafkajs re-joins: the bounded wait for runs in flight and the commit.
   */
  readonly beforeRejoin?: () => Promise<void>;
}

/**
 * The kafkajs `eachBatch` side of a group member: hands each fetched message
 * to core's `Dispatcher` in offset order, waiting while every processor is
 * busy (backpressure) and heartbeating meanwhile; resolves in kafkajs only
 * what was handed out, so the next fetch starts right after it. When a
 * heartbeat reports a rebalance, every waiting batch of this consumer gives
 * up and rethrows it, so kafkajs re-joins within the rebalance timeout even
 * while long runs hold every processor.
 *
 * Commits are not made here: the commit scheduler commits what the
 * dispatcher's tracker says is finished.
 */
export class FetchLoop {
  readonly #deps: FetchLoopDeps;
  readonly #heartbeats: HeartbeatTimer;
  #active = 0;
  #idleWaiters: Array<() => void> = [];
  /** Shared by the batches in flight; aborted when a rebalance is seen. */
  #round = new AbortController();
  #rebalance: Error | undefined;
  /** The round's `beforeRejoin`, shared by its batches. */
  #draining: Promise<void> | undefined;

  constructor(deps: FetchLoopDeps) {
    this.#deps = deps;
    this.#heartbeats = new HeartbeatTimer(
      deps.heartbeatEveryMs,
      (error) => {
        this.#rebalance ??= error;
        this.#round.abort(error);
      },
      (error) => deps.logger.debug('heartbeat failed while waiting for a processor', { error }),
    );
  }

  readonly eachBatch: EachBatchHandler = async (payload) => {
    if (this.#active === 0 && this.#round.signal.aborted) {
      this.#round = new AbortController();
      this.#rebalance = undefined;
      this.#draining = undefined;
    }
    this.#active += 1;
    this.#heartbeats.start(payload.heartbeat);
    try {
      await this.#handOut(payload, this.#round.signal);
      // Counted active meanwhile: a batch fetched during the wait starts no new round.
      if (this.#rebalance && this.#deps.beforeRejoin) {
        this.#draining ??= this.#deps.beforeRejoin().catch((error: unknown) => {
          this.#deps.logger.debug('before re-joining', { error });
        });
        await this.#draining;
      }
    } finally {
      this.#active -= 1;
      if (this.#active === 0) {
        this.#heartbeats.stop();
        for (const wake of this.#idleWaiters.splice(0)) wake();
      }
    }
    if (this.#rebalance) throw this.#rebalance;
  };

  async #handOut(payload: EachBatchPayload, round: AbortSignal): Promise<void> {
    const { batch, resolveOffset, isRunning } = payload;
    const { dispatcher, accepting, stopSignal } = this.#deps;
    const { topic, partition, messages } = batch;
    // Resolved once per batch: no key built nor map looked up per message.
    const state = dispatcher.partition(topic, partition);
    // Revoked under this batch (a re-join while it waited): the rest is the next owner's.
    const generation = state.generation;
    // Only a batch that has to wait for a processor needs one signal for both ways to give up.
    let giveUp: AbortSignal | undefined;
    // Resolving the last handed-out offset once covers every one before it
    // (kafkajs parses each resolved offset into a Long: once per batch is enough).
    let handled: string | undefined;
    // Stop, a rebalance seen by a heartbeat, kafkajs stopping: they come from outside, so
    // they are checked before the batch and after each wait, not per message.
    const live = () => accepting() && isRunning() && !round.aborted;
    try {
      if (!live()) return;
      const handover = this.#deps.handover?.(topic, partition);
      if (handover !== undefined) {
        giveUp ??= AbortSignal.any([round, stopSignal]);
        const abandon = giveUp;
        await new Promise<void>((resolve) => {
          handover.then(resolve, resolve);
          abandon.addEventListener('abort', () => resolve(), { once: true });
        });
        if (!live() || state.generation !== generation) return;
      }
      for (const message of messages) {
        // One compare, so checked per message too: a revocation can be reached from a run started here.
        if (state.generation !== generation) return;
        if (message.headers?.[undecodableHeader] !== undefined) {
          this.#hold(payload, message);
          return;
        }
        const offset = Number(message.offset);
        // Below the mark: handed out before a rebalance that kept the partition (re-fetched).
        if (state.isNew(offset)) {
          const inbound = toInbound(topic, partition, message);
          // The hot path is a plain call; awaiting happens only when every processor is
          // busy, and once awake the loop goes on synchronously while processors are free.
          while (!dispatcher.tryDispatch(state, inbound, offset)) {
            giveUp ??= AbortSignal.any([round, stopSignal]);
            // False: given up (rebalance, stop) or revoked while it waited.
            if (!(await dispatcher.ready(state, giveUp))) return;
            if (!live() || state.generation !== generation) return;
          }
        }
        handled = message.offset;
      }
    } finally {
      // Never into the offset manager of a later ownership (kafkajs rebuilds it at each join).
      if (handled !== undefined && state.generation === generation) resolveOffset(handled);
    }
  }

  /**
   * A stand-in for records no codec could decompress: report it, pause the
   * partition and hand out nothing from there (it is neither run nor
   * committed past), while every other partition goes on.
   */
  #hold(payload: EachBatchPayload, message: KafkaMessage): void {
    const { topic, partition } = payload.batch;
    const raw = message.headers?.[undecodableHeader];
    const mark = readUndecodableMark(Buffer.isBuffer(raw) ? raw : undefined);
    payload.pause();
    this.#deps.report(
      new UndecodableBatchError({
        topic,
        partition,
        offset: message.offset,
        codec: mark?.codec ?? 'unknown',
        reason: mark?.reason ?? 'unknown',
      }),
    );
  }

  /** Resolves once no batch is being handed out. */
  idle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
