import { CommitTracker } from './commit-tracker.js';
import type { PartitionState } from './partition-state.js';
import type { InboundMessage, MessageHandler } from './types.js';

export interface DispatcherOptions {
  /** Handler runs in flight at once. */
  readonly processors: number;
  /** One run at a time per partition, in offset order. */
  readonly commitInOrder: boolean;
  readonly handler: MessageHandler;
}

/** A dispatch waiting for a processor (or, with `commitInOrder`, its partition's turn). */
interface Waiter {
  readonly state: PartitionState;
  readonly message: InboundMessage;
  readonly offset: number;
  readonly resolve: (started: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** A fetch loop waiting for `tryDispatch` to have a chance (`ready`). */
interface ReadyWaiter {
  readonly state: PartitionState;
  readonly generation: number;
  readonly resolve: (ready: boolean) => void;
}

const started: Promise<boolean> = Promise.resolve(true);

/**
 * The run scheduling every transport shares: at most `processors` handlers
 * in flight, backpressure on the fetch loop, and per-partition state
 * (`PartitionState`: what was handed out, what runs, what may be committed).
 *
 * The hot path is synchronous: a fetch loop resolves `partition()` once per
 * batch and calls `tryDispatch` per message, which starts the run at once
 * when a processor is free; only when it says no does the loop await
 * `ready`, then go on synchronously with as many messages as there are free
 * processors. (`dispatch` is the simpler form: one awaited call per message.)
 * It commits `tracker.pending()` when it likes.
 */
export class Dispatcher {
  readonly tracker = new CommitTracker();
  readonly #processors: number;
  readonly #commitInOrder: boolean;
  readonly #handler: MessageHandler;
  /** Runs in flight; each holds a processor until it settles, even once revoked. */
  #active = 0;
  /** FIFO: a freed processor goes to the oldest waiter that may start. */
  #waiters: Waiter[] = [];
  #ready: ReadyWaiter[] = [];
  #idleWaiters: Array<() => void> = [];

  constructor(options: DispatcherOptions) {
    if (!Number.isInteger(options.processors) || options.processors < 1) {
      throw new RangeError(`processors must be a whole number >= 1, got ${options.processors}`);
    }
    this.#processors = options.processors;
    this.#commitInOrder = options.commitInOrder;
    this.#handler = options.handler;
  }

  /** The partition's state; resolve it once per batch, not per message. */
  partition(topic: string, partition: number): PartitionState {
    return this.tracker.partition(topic, partition);
  }

  /**
   * Starts the message's run now if a processor is free (and, with
   * `commitInOrder`, none of its partition's runs is in flight). Returns
   * false, doing nothing, otherwise.
   * `offset` is `Number(message.offset)`, parsed once by the caller.
   */
  tryDispatch(
    state: PartitionState,
    message: InboundMessage,
    offset: number = Number(message.offset),
  ): boolean {
    // No dispatch can be waiting here: a freed processor goes to the waiters at once,
    // so with one free every waiter left is held back by its own partition's run.
    if (!this.#canStart(state)) return false;
    this.#start(state, message, offset);
    return true;
  }

  /**
   * Starts the message's run once a processor is free (and, with
   * `commitInOrder`, once the partition's previous run settled). Resolves when
   * the run has started, not finished: awaiting it is the fetch loop's
   * backpressure. Resolves `false`, without running it, if the partition is
   * revoked while it waits.
   */
  dispatch(message: InboundMessage): Promise<boolean> {
    const state = this.partition(message.topic, message.partition);
    const offset = Number(message.offset);
    try {
      if (this.tryDispatch(state, message, offset)) return started;
    } catch (error) {
      return Promise.reject(error);
    }
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    this.#waiters.push({ state, message, offset, resolve, reject });
    return promise;
  }

  /**
   * Resolves `true` once `tryDispatch` for this partition may succeed (a
   * processor freed, and with `commitInOrder` its partition's run settled),
   * or `false` as soon as `signal` fires or the partition is revoked. It
   * holds nothing: call `tryDispatch` again, and wait again if it says no.
   */
  ready(state: PartitionState, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#canStart(state)) return started;
    return new Promise((resolve) => {
      const waiter: ReadyWaiter = {
        state,
        generation: state.generation,
        resolve: (ready) => {
          signal.removeEventListener('abort', onAbort);
          resolve(ready);
        },
      };
      const onAbort = () => {
        const i = this.#ready.indexOf(waiter);
        if (i >= 0) this.#ready.splice(i, 1);
        waiter.resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#ready.push(waiter);
    });
  }

  #canStart(state: PartitionState): boolean {
    return this.#active < this.#processors && !(this.#commitInOrder && state.running > 0);
  }

  /** Begins tracking and runs the handler; throws (holding nothing) if the offset goes backwards. */
  #start(state: PartitionState, message: InboundMessage, offset: number): void {
    const seq = state.begin(offset);
    this.#active += 1;
    state.running += 1;
    void this.#run(state, state.generation, seq, message);
  }

  async #run(
    state: PartitionState,
    generation: number,
    seq: number,
    message: InboundMessage,
  ): Promise<void> {
    let finished = false;
    try {
      await this.#handler(message);
      finished = true;
    } catch {
      // Not finished: the message stays uncommitted (abandoned below).
    }
    // A run of an earlier generation (revoked meanwhile) never touches the new owner's ledger.
    if (state.generation === generation) {
      if (finished) state.complete(seq);
      else state.abandon(seq);
    }
    this.#active -= 1;
    state.running -= 1;
    if (this.#waiters.length > 0) this.#startWaiters();
    if (this.#ready.length > 0) this.#wakeReady();
    this.#wakeIfIdle();
  }

  /** Starts, oldest first, every waiter that may start now. */
  #startWaiters(): void {
    const waiters = this.#waiters;
    for (let i = 0; i < waiters.length && this.#active < this.#processors; ) {
      const waiter = waiters[i]!;
      // (A revoked partition's waiters were dropped by `revoke`.)
      if (this.#canStart(waiter.state)) {
        waiters.splice(i, 1);
        try {
          this.#start(waiter.state, waiter.message, waiter.offset);
          waiter.resolve(true);
        } catch (error) {
          waiter.reject(error);
        }
      } else {
        i += 1;
      }
    }
  }

  /** Wakes every `ready` waiter whose partition may start now, or was revoked. */
  #wakeReady(): void {
    const ready = this.#ready;
    for (let i = 0; i < ready.length; ) {
      const waiter = ready[i]!;
      const revoked = waiter.state.generation !== waiter.generation;
      if (revoked || this.#canStart(waiter.state)) {
        ready.splice(i, 1);
        waiter.resolve(!revoked);
      } else {
        i += 1;
      }
    }
  }

  #wakeIfIdle(): void {
    if (this.#active === 0 && this.#waiters.length === 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /**
   * Stops tracking a partition (revoked): runs still in flight for it no
   * longer count, and dispatches waiting for it resolve `false`.
   */
  revoke(topic: string, partition: number): void {
    const state = this.partition(topic, partition);
    state.reset();
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.state !== state) return true;
      waiter.resolve(false);
      return false;
    });
    if (this.#ready.some((w) => w.state === state)) this.#wakeReady();
  }

  /** Resolves when no run is in flight and no dispatch waits to start one. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Runs in flight (each holding a processor). */
  get inFlight(): number {
    return this.#active;
  }
}
