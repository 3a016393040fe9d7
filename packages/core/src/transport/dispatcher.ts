import { defaultMaxUncommitted } from '../conf/kq-conf-schema.js';
import { ConfigError } from '../errors/kinds.js';
import type { Logger } from '../logger/logger.js';
import { CommitTracker } from './commit-tracker.js';
import { KeyLanes, type LaneKey, laneKeyOf, type ParkedRun } from './key-lanes.js';
import type { Ordering } from './ordering.js';
import type { PartitionState } from './partition-state.js';
import { type MaybeSettleForm, type SettleHandler, settleForm } from './settle.js';
import type { HeldPartition, InboundMessage, MessageHandler } from './types.js';

export interface DispatcherOptions {
  /** Handler runs in flight at once. */
  readonly processors: number;
  /** How runs may overlap (see `Ordering`). Default `unordered`. */
  readonly ordering?: Ordering;
  /**
   * @deprecated The transport-level name of `ordering: 'partition'` (true)
   * from before `ordering` existed; `ordering` wins when both are given.
   */
  readonly commitInOrder?: boolean;
  /** Under `ordering: 'key'`, messages accepted behind a busy key at most (default `processors * 16`). */
  readonly maxParked?: number;
  /**
   * Messages of one partition begun above its commit watermark at most
   * (running, parked behind a key, or finished beyond a run still going);
   * at the bound the partition's messages wait (`tryDispatch` says no,
   * `ready` waits) until the watermark moves. Default `defaultMaxUncommitted(processors)`,
   * or `maxParked + processors` when that is more.
   */
  readonly maxUncommitted?: number;
  /** Told once when a partition reaches `maxUncommitted` (warn) and once when it drained (info). */
  readonly logger?: Logger;
  /** What those log lines start with, e.g. the group member (`group "g" on "t"`). */
  readonly label?: string;
  readonly handler: MessageHandler;
}

/** A dispatch waiting for a processor (or, with `commitInOrder`, its partition's turn). */
interface Waiter {
  readonly state: PartitionState;
  readonly generation: number;
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

/** One run in flight: what its end must update. */
class Run {
  /** Told its end, maybe still queued (a settle form calls once; this guards the fallback in `#launch`). */
  settled = false;
  /** How it ended, while it waits in the settle queue. */
  finished = false;

  constructor(
    readonly state: PartitionState,
    readonly generation: number,
    readonly seq: number,
    readonly lanes: KeyLanes | undefined,
    readonly key: LaneKey,
  ) {}
}

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
  readonly #byKey: boolean;
  readonly #maxParked: number;
  readonly #maxUncommitted: number;
  /** A held partition counts as drained (logged, out of `held()`) at this many. */
  readonly #drainedAt: number;
  readonly #logger: Logger | undefined;
  readonly #label: string;
  readonly #handler: MessageHandler;
  /** The handler's callback form, when core made it (`createMessageHandler`). */
  readonly #settleForm: SettleHandler | undefined;
  /** Inside `#onSettle`: a run settling now waits in `#settleQueue`. */
  #settling = false;
  readonly #settleQueue: Run[] = [];
  /** Under `ordering: 'key'`, each partition's busy keys (the lanes survive a revocation). */
  readonly #lanes = new WeakMap<PartitionState, KeyLanes>();
  /** Messages accepted behind a busy key, not started yet. */
  #parked = 0;
  /** Runs in flight; each holds a processor until it settles, even once revoked. */
  #active = 0;
  /** FIFO: a freed processor goes to the oldest waiter that may start. */
  #waiters: Waiter[] = [];
  #ready: ReadyWaiter[] = [];
  #idleWaiters: Array<() => void> = [];
  /** `settled` calls waiting for a partition's runs to end. */
  #settleWaiters: Array<{ readonly state: PartitionState; readonly resolve: () => void }> = [];

  constructor(options: DispatcherOptions) {
    if (!Number.isInteger(options.processors) || options.processors < 1) {
      throw new ConfigError(
        [{ path: 'processors', message: `must be a whole number >= 1, got ${options.processors}` }],
        'invalid Dispatcher options',
      );
    }
    // Unset, it leaves room for every run and every message parked behind a key
    // (the default's 32 per processor covers the default 16 parked per processor).
    const maxUncommitted =
      options.maxUncommitted ??
      Math.max(
        defaultMaxUncommitted(options.processors),
        (options.maxParked ?? 0) + options.processors,
      );
    if (!Number.isInteger(maxUncommitted) || maxUncommitted < 1) {
      throw new ConfigError(
        [{ path: 'maxUncommitted', message: `must be a whole number >= 1, got ${maxUncommitted}` }],
        'invalid Dispatcher options',
      );
    }
    this.#maxUncommitted = maxUncommitted;
    this.#drainedAt = Math.floor(maxUncommitted / 2);
    this.#logger = options.logger;
    this.#label = options.label === undefined ? '' : `${options.label}: `;
    this.#processors = options.processors;
    const ordering = options.ordering ?? (options.commitInOrder ? 'partition' : 'unordered');
    this.#commitInOrder = ordering === 'partition';
    this.#byKey = ordering === 'key';
    this.#maxParked = options.maxParked ?? options.processors * 16;
    this.#handler = options.handler;
    this.#settleForm = (options.handler as MaybeSettleForm)[settleForm];
  }

  /** The partition's state; resolve it once per batch, not per message. */
  partition(topic: string, partition: number): PartitionState {
    return this.tracker.partition(topic, partition);
  }

  /**
   * Starts the message's run now if a processor is free (and, with
   * `commitInOrder`, none of its partition's runs is in flight), and no
   * earlier dispatch of its partition waits. Returns false, doing nothing, otherwise.
   * `offset` is `Number(message.offset)`, parsed once by the caller.
   */
  tryDispatch(
    state: PartitionState,
    message: InboundMessage,
    offset: number = Number(message.offset),
  ): boolean {
    // A waiting dispatch of the same partition goes first (offset order); with free
    // processors every other waiter is one held back by its own partition's turn.
    if (state.waiting > 0) return false;
    if (state.aboveWatermark >= this.#maxUncommitted) return this.#hold(state);
    if (this.#byKey) return this.#admitKeyed(state, message, offset);
    if (!this.#canStart(state)) return false;
    this.#start(state, message, offset);
    return true;
  }

  /**
   * `ordering: 'key'`: a message whose key has a run in flight is begun (so
   * the commit waits for it) and parked behind it, without a processor; the
   * key's run hands its processor on to it when it ends. Any other message
   * needs a free processor.
   */
  #admitKeyed(state: PartitionState, message: InboundMessage, offset: number): boolean {
    let lanes = this.#lanes.get(state);
    if (lanes === undefined) {
      lanes = new KeyLanes();
      this.#lanes.set(state, lanes);
    }
    const key = laneKeyOf(message);
    if (this.#active < this.#processors && lanes.acquire(key)) {
      let seq: number;
      try {
        seq = state.begin(offset);
      } catch (error) {
        lanes.release(key);
        throw error;
      }
      this.#launch(state, state.generation, seq, message, lanes, key);
      return true;
    }
    if (this.#parked >= this.#maxParked) return false;
    // The key may be free while every processor is busy: then the message waits outside.
    if (!lanes.isBusy(key)) return false;
    const seq = state.begin(offset);
    lanes.park(key, { state, generation: state.generation, seq, message });
    this.#parked += 1;
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
    this.#waiters.push({ state, generation: state.generation, message, offset, resolve, reject });
    state.waiting += 1;
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
    if (state.waiting === 0 && this.#canStart(state)) return started;
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
    if (state.aboveWatermark >= this.#maxUncommitted) return false;
    // Under key ordering a free processor (and room to park) means any message is taken.
    if (this.#byKey) return this.#active < this.#processors && this.#parked < this.#maxParked;
    return this.#active < this.#processors && !(this.#commitInOrder && state.running > 0);
  }

  /**
   * The partition is at `maxUncommitted`: its message waits, and the first
   * refusal since it last drained is logged. Returns false (the message is not taken).
   */
  #hold(state: PartitionState): false {
    if (state.heldSince === 0) {
      state.heldSince = Date.now();
      this.#logger?.warn(
        `${this.#label}partition ${state.topic}[${state.partition}] reached maxUncommitted (${this.#maxUncommitted} messages begun above its commit watermark): no more of its messages start until offset ${state.firstUnfinished} finishes`,
        {
          topic: state.topic,
          partition: state.partition,
          offset: String(state.firstUnfinished),
          maxUncommitted: this.#maxUncommitted,
        },
      );
    }
    return false;
  }

  /** A held partition's ledger drained to half the bound: it counts as flowing again. */
  #drained(state: PartitionState): void {
    const heldMs = Date.now() - state.heldSince;
    state.heldSince = 0;
    this.#logger?.info(
      `${this.#label}partition ${state.topic}[${state.partition}] drained below maxUncommitted after ${heldMs} ms`,
      { topic: state.topic, partition: state.partition, heldMs },
    );
  }

  /** Partitions held at `maxUncommitted` now (from the first refusal until the ledger drained to half). */
  held(): HeldPartition[] {
    const out: HeldPartition[] = [];
    for (const state of this.tracker.partitions()) {
      if (state.heldSince === 0) continue;
      out.push({
        topic: state.topic,
        partition: state.partition,
        offset: String(state.firstUnfinished),
        since: state.heldSince,
        uncommitted: state.aboveWatermark,
      });
    }
    return out;
  }

  /** Begins tracking and runs the handler; throws (holding nothing) if the offset goes backwards. */
  #start(state: PartitionState, message: InboundMessage, offset: number): void {
    const seq = state.begin(offset);
    this.#launch(state, state.generation, seq, message, undefined, null);
  }

  #launch(
    state: PartitionState,
    generation: number,
    seq: number,
    message: InboundMessage,
    lanes: KeyLanes | undefined,
    key: LaneKey,
  ): void {
    this.#active += 1;
    state.running += 1;
    const run = new Run(state, generation, seq, lanes, key);
    const settleForm = this.#settleForm;
    if (settleForm === undefined) {
      let running: Promise<void>;
      try {
        running = this.#handler(message);
      } catch {
        running = Promise.reject();
      }
      // Adopted, so a handler returning something else (or throwing) still settles.
      Promise.resolve(running).then(
        () => this.#onSettle(run, true),
        // Not finished: the message stays uncommitted (abandoned in #settle).
        () => this.#onSettle(run, false),
      );
      return;
    }
    try {
      settleForm(message, this.#onSettle, run);
    } catch {
      // A settle form never throws; if one did, its run did not finish.
      if (!run.settled) this.#onSettle(run, false);
    }
  }

  /**
   * `#settle` for the callback form. A run may settle inside `#launch` (its
   * task returned a plain value), even from within another run's settling
   * (a waiter or a parked message it started): those wait in a queue and
   * run after it, so the stack stays flat and nothing runs half-updated.
   */
  readonly #onSettle = (run: Run, finished: boolean): void => {
    if (run.settled) return;
    run.settled = true;
    if (this.#settling) {
      run.finished = finished;
      this.#settleQueue.push(run);
      return;
    }
    this.#settling = true;
    try {
      this.#settle(run, finished);
      const queue = this.#settleQueue;
      for (let i = 0; i < queue.length; i++) this.#settle(queue[i]!, queue[i]!.finished);
      queue.length = 0;
    } finally {
      this.#settling = false;
    }
  };

  #settle(run: Run, finished: boolean): void {
    const { state, generation, seq, lanes, key } = run;
    // A run of an earlier generation (revoked meanwhile) never touches the new owner's ledger.
    if (state.generation === generation) {
      if (finished) state.complete(seq);
      else state.abandon(seq);
      if (state.heldSince !== 0 && state.aboveWatermark <= this.#drainedAt) this.#drained(state);
    }
    this.#active -= 1;
    state.running -= 1;
    if (state.running === 0 && this.#settleWaiters.length > 0) this.#wakeSettled(state);
    if (lanes !== undefined) {
      // The key's next message (if any) takes over the processor this run freed.
      const next: ParkedRun | undefined = lanes.release(key);
      if (next !== undefined) {
        this.#parked -= 1;
        this.#launch(next.state, next.generation, next.seq, next.message, lanes, key);
      }
    }
    if (this.#waiters.length > 0) this.#startWaiters();
    if (this.#ready.length > 0) this.#wakeReady();
    this.#wakeIfIdle();
  }

  /** Starts, oldest first, every waiter that may start now; drops the revoked ones. */
  #startWaiters(): void {
    const waiters = this.#waiters;
    // Under key ordering, a partition whose oldest waiter cannot start holds its later ones (offset order).
    let held: Set<PartitionState> | undefined;
    for (let i = 0; i < waiters.length && this.#active < this.#processors; ) {
      const waiter = waiters[i]!;
      if (waiter.state.generation !== waiter.generation) {
        waiters.splice(i, 1);
        waiter.state.waiting -= 1;
        waiter.resolve(false);
      } else if (waiter.state.aboveWatermark >= this.#maxUncommitted) {
        // At the bound: it (and its partition's later waiters) waits for the watermark.
        this.#hold(waiter.state);
        i += 1;
      } else if (this.#byKey) {
        let admitted = false;
        if (!held?.has(waiter.state)) {
          try {
            admitted = this.#admitKeyed(waiter.state, waiter.message, waiter.offset);
          } catch (error) {
            waiters.splice(i, 1);
            waiter.state.waiting -= 1;
            waiter.reject(error);
            continue;
          }
        }
        if (admitted) {
          waiters.splice(i, 1);
          waiter.state.waiting -= 1;
          waiter.resolve(true);
        } else {
          held ??= new Set();
          held.add(waiter.state);
          i += 1;
        }
      } else if (this.#canStart(waiter.state)) {
        waiters.splice(i, 1);
        waiter.state.waiting -= 1;
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
  /**
   * Wakes, oldest first, as many ready() waiters as processors are free (and
   * every revoked one). Waking them all would hand each freed processor to
   * whichever woken batch runs first, which re-queues ahead of the others and
   * so starves every other partition until its batch is through.
   */
  #wakeReady(): void {
    const ready = this.#ready;
    let free = this.#processors - this.#active;
    for (let i = 0; i < ready.length; ) {
      const waiter = ready[i]!;
      const revoked = waiter.state.generation !== waiter.generation;
      if (revoked || (free > 0 && waiter.state.waiting === 0 && this.#canStart(waiter.state))) {
        ready.splice(i, 1);
        if (!revoked) free -= 1;
        waiter.resolve(!revoked);
      } else {
        i += 1;
      }
    }
  }

  #drop(waiter: Waiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    waiter.state.waiting -= 1;
    waiter.resolve(false);
    this.#wakeIfIdle();
  }

  #wakeIfIdle(): void {
    if (this.#active === 0 && this.#waiters.length === 0 && this.#parked === 0) {
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
    const lanes = this.#lanes.get(state);
    if (lanes !== undefined) this.#parked -= lanes.dropParked();
    for (const waiter of this.#waiters.filter((w) => w.state === state)) this.#drop(waiter);
    if (this.#ready.some((w) => w.state === state)) this.#wakeReady();
  }

  /**
   * Resolves true once no run of the partition is in flight (the revocation
   * grace: stop fetching it, wait for this, commit, then `revoke`), or false
   * after `timeoutMs` with runs still going.
   */
  settled(topic: string, partition: number, timeoutMs: number): Promise<boolean> {
    const state = this.partition(topic, partition);
    if (state.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry = {
        state,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#settleWaiters.indexOf(entry);
        if (i >= 0) this.#settleWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.#settleWaiters.push(entry);
    });
  }

  #wakeSettled(state: PartitionState): void {
    const waiters = this.#settleWaiters;
    for (let i = 0; i < waiters.length; ) {
      if (waiters[i]!.state === state) waiters.splice(i, 1)[0]!.resolve();
      else i += 1;
    }
  }

  /** Resolves when no run is in flight and no dispatch waits to start one. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#waiters.length === 0 && this.#parked === 0)
      return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Runs in flight (each holding a processor). */
  get inFlight(): number {
    return this.#active;
  }
}
