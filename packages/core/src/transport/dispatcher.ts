import { CommitTracker } from './commit-tracker.js';
import { Limiter } from './limiter.js';
import type { InboundMessage, MessageHandler } from './types.js';

export interface DispatcherOptions {
  /** Handler runs in flight at once. */
  readonly processors: number;
  /** One run at a time per partition, in offset order. */
  readonly commitInOrder: boolean;
  readonly handler: MessageHandler;
}

interface PartitionState {
  /** Bumped on revocation: runs of an older generation no longer count. */
  generation: number;
  /** With `commitInOrder`: settles when the partition's last queued run does. */
  tail: Promise<void> | undefined;
}

interface Turn {
  readonly previous: Promise<void> | undefined;
  readonly done: () => void;
}

/**
 * The run scheduling every transport shares: at most `processors` handlers
 * in flight, backpressure on the fetch loop, and a `CommitTracker` fed with
 * what finished. A transport fetches, calls `dispatch` per message in offset
 * order, and commits `tracker.pending()` when it likes.
 */
export class Dispatcher {
  readonly tracker = new CommitTracker();
  readonly #limiter: Limiter;
  readonly #options: DispatcherOptions;
  readonly #partitions = new Map<string, Map<number, PartitionState>>();
  #inFlight = 0;
  /** Dispatches waiting for a processor or their partition's turn. */
  #queued = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#limiter = new Limiter(options.processors);
  }

  /**
   * Starts the message's run once a processor is free (and, with
   * `commitInOrder`, once the partition's previous run settled). Resolves when
   * the run has started, not finished: awaiting it is the fetch loop's
   * backpressure. A message whose partition is revoked while it waits is
   * dropped without running: then it resolves `false`.
   */
  dispatch(message: InboundMessage): Promise<boolean> {
    const state = this.#state(message.topic, message.partition);
    // The hot path: a processor is free and no ordering to wait for; start now.
    if (!this.#options.commitInOrder && this.#limiter.tryAcquire()) {
      try {
        this.#start(message, state, state.generation, undefined);
      } catch (error) {
        return Promise.reject(error);
      }
      return Promise.resolve(true);
    }
    return this.#dispatchWhenFree(message, state);
  }

  async #dispatchWhenFree(message: InboundMessage, state: PartitionState): Promise<boolean> {
    const generation = state.generation;
    // Take the partition's place in line before the first await, so in-order runs
    // follow call order even when the caller does not await each dispatch.
    const turn = this.#options.commitInOrder ? takeTurn(state) : undefined;
    let started = false;
    this.#queued += 1;
    try {
      await turn?.previous;
      await this.#limiter.acquire();
      if (state.generation !== generation) {
        // Revoked while it waited: the message is the next owner's, so it never starts here.
        this.#limiter.release();
        return false;
      }
      this.#start(message, state, generation, turn);
      started = true;
      return true;
    } finally {
      this.#queued -= 1;
      if (!started) turn?.done();
      this.#wakeIfIdle();
    }
  }

  /** Begins tracking and runs the handler; the caller holds a processor. */
  #start(
    message: InboundMessage,
    state: PartitionState,
    generation: number,
    turn: Turn | undefined,
  ): void {
    const offset = Number(message.offset);
    try {
      this.tracker.begin(message.topic, message.partition, offset);
    } catch (error) {
      this.#limiter.release();
      throw error;
    }
    this.#inFlight += 1;
    void this.#run(message, offset, state, generation, turn);
  }

  async #run(
    message: InboundMessage,
    offset: number,
    state: PartitionState,
    generation: number,
    turn: Turn | undefined,
  ): Promise<void> {
    try {
      await this.#options.handler(message);
      if (state.generation === generation) {
        this.tracker.complete(message.topic, message.partition, offset);
      }
    } catch {
      if (state.generation === generation) {
        this.tracker.abandon(message.topic, message.partition, offset);
      }
    } finally {
      this.#limiter.release();
      turn?.done();
      this.#inFlight -= 1;
      this.#wakeIfIdle();
    }
  }

  #wakeIfIdle(): void {
    if (this.#inFlight === 0 && this.#queued === 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  #state(topic: string, partition: number): PartitionState {
    let byPartition = this.#partitions.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.#partitions.set(topic, byPartition);
    }
    let state = byPartition.get(partition);
    if (!state) {
      state = { generation: 0, tail: undefined };
      byPartition.set(partition, state);
    }
    return state;
  }

  /** Stops tracking a partition (revoked); runs still in flight for it no longer count. */
  revoke(topic: string, partition: number): void {
    this.#state(topic, partition).generation += 1;
    this.tracker.forget(topic, partition);
  }

  /** Resolves when no run is in flight and no dispatch waits to start one. */
  idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  get inFlight(): number {
    return this.#inFlight;
  }
}

/** Queues behind the partition's last run; `done` lets the next one go. */
function takeTurn(state: PartitionState): Turn {
  const previous = state.tail;
  const { promise, resolve } = Promise.withResolvers<void>();
  state.tail = promise;
  return {
    previous,
    done: () => {
      if (state.tail === promise) state.tail = undefined;
      resolve();
    },
  };
}
