import type { Dispatcher, Logger } from '@tasks/core';
import type { EachBatchHandler, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { readUndecodableMark, UndecodableBatchError, undecodableHeader } from '../codecs/index.js';
import type { Admission } from './admission.js';
import type { DispatchedOffsets } from './dispatched-offsets.js';
import { HeartbeatTimer } from './heartbeat-timer.js';
import { toInbound } from './to-inbound.js';

export interface FetchLoopDeps {
  readonly dispatcher: Dispatcher;
  readonly admission: Admission;
  readonly dispatched: DispatchedOffsets;
  /** How often to heartbeat while batches wait on a free processor. */
  readonly heartbeatEveryMs: number;
  /** Fires when the member stops: waiting batches give up. */
  readonly stopSignal: AbortSignal;
  /** False once this consumer must hand out nothing more (stopping, or replaced). */
  readonly accepting: () => boolean;
  readonly logger: Logger;
  /** Reports what holds a partition (a batch no codec could decode) on the server's error path. */
  readonly report: (error: Error) => void;
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
    }
    this.#active += 1;
    this.#heartbeats.start(payload.heartbeat);
    try {
      await this.#handOut(payload, this.#round.signal);
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
    const { dispatcher, admission, dispatched, accepting, stopSignal } = this.#deps;
    const { topic, partition } = batch;
    const giveUp = AbortSignal.any([round, stopSignal]);
    // Revoked under this batch (a re-join while it waited): the rest is the next owner's.
    const ownership = dispatched.ownership(topic, partition);
    const owned = () => dispatched.ownership(topic, partition) === ownership;
    // Resolving the last handed-out offset once covers every one before it
    // (kafkajs parses each resolved offset into a Long: once per batch is enough).
    let handled: string | undefined;
    try {
      for (const message of batch.messages) {
        if (!accepting() || !isRunning() || giveUp.aborted || !owned()) return;
        if (message.headers?.[undecodableHeader] !== undefined) {
          this.#hold(payload, message);
          return;
        }
        const offset = Number(message.offset);
        if (dispatched.isNew(topic, partition, offset)) {
          // Re-check after every wake-up: `open` and `enter` must happen in one synchronous step.
          while (!admission.open(topic, partition)) {
            if (!(await admission.wait(topic, partition, giveUp))) return;
          }
          if (!accepting() || !isRunning() || !owned()) return;
          admission.enter(topic, partition);
          dispatched.mark(topic, partition, offset);
          let started: boolean;
          try {
            started = await dispatcher.dispatch(toInbound(topic, partition, message));
          } catch (error) {
            admission.leave(topic, partition);
            throw error;
          }
          // Dropped (its partition was revoked while it queued): the handler never frees the place.
          if (!started) {
            admission.leave(topic, partition);
            return;
          }
        }
        handled = message.offset;
      }
    } finally {
      // Never into the offset manager of a later ownership (kafkajs rebuilds it at each join).
      if (handled !== undefined && owned()) resolveOffset(handled);
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
