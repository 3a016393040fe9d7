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
  readonly #running = new Set<Promise<void>>();
  readonly #partitionTail = new Map<string, Promise<void>>();
  /** Partitions revoked while their runs were in flight: their results are dropped. */
  readonly #generation = new Map<string, number>();

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#limiter = new Limiter(options.processors);
  }

  /**
   * Starts the message's run once a processor is free (and, with
   * `commitInOrder`, once the partition's previous run settled). Resolves when
   * the run has started, not finished: awaiting it is the fetch loop's
   * backpressure. A message whose partition is revoked while it waits is
   * dropped without running.
   */
  async dispatch(message: InboundMessage): Promise<void> {
    const offset = Number(message.offset);
    const key = `${message.topic}\u0000${message.partition}`;
    const generation = this.#generation.get(key) ?? 0;
    // Take the partition's place in line before the first await, so in-order runs
    // follow call order even when the caller does not await each dispatch.
    const turn = this.#options.commitInOrder ? this.#takeTurn(key) : undefined;
    let started = false;
    try {
      await turn?.previous;
      await this.#limiter.acquire();
      if ((this.#generation.get(key) ?? 0) !== generation) {
        // Revoked while it waited: the message is the next owner's, so it never starts here.
        this.#limiter.release();
        return;
      }
      try {
        this.tracker.begin(message.topic, message.partition, offset);
      } catch (error) {
        this.#limiter.release();
        throw error;
      }
      started = true;
    } finally {
      if (!started) turn?.done();
    }
    const run = Promise.resolve()
      .then(() => this.#options.handler(message))
      .then(
        () => {
          if ((this.#generation.get(key) ?? 0) === generation) {
            this.tracker.complete(message.topic, message.partition, offset);
          }
        },
        () => {
          if ((this.#generation.get(key) ?? 0) === generation) {
            this.tracker.abandon(message.topic, message.partition, offset);
          }
        },
      )
      .finally(() => {
        this.#limiter.release();
        this.#running.delete(run);
        turn?.done();
      });
    this.#running.add(run);
  }

  /** Queues behind the partition's last run; `done` lets the next one go. */
  #takeTurn(key: string): { previous: Promise<void> | undefined; done: () => void } {
    const previous = this.#partitionTail.get(key);
    let release!: () => void;
    const settled = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#partitionTail.set(key, settled);
    return {
      previous,
      done: () => {
        if (this.#partitionTail.get(key) === settled) this.#partitionTail.delete(key);
        release();
      },
    };
  }

  /** Stops tracking a partition (revoked); runs still in flight for it no longer count. */
  revoke(topic: string, partition: number): void {
    const key = `${topic}\u0000${partition}`;
    this.#generation.set(key, (this.#generation.get(key) ?? 0) + 1);
    this.tracker.forget(topic, partition);
  }

  /** Resolves when every run started so far has settled. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  get inFlight(): number {
    return this.#running.size;
  }
}
