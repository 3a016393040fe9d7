import { setImmediate as nextTurn } from 'node:timers/promises';
import type { InboundMessage } from '@tasks/core';
import { toInboundMessage } from '../broker/inbound-message.js';
import type { PartitionLog } from '../broker/partition-log.js';

/** Records dispatched back to back before the loop yields to the event loop. */
const BURST = 64;

export interface PartitionFetcherOptions {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  /** The first offset to fetch. */
  readonly from: number;
  /**
   * Hands a message on. A promise is the backpressure: the loop waits for it.
   * `undefined` says the run already started, and the loop goes on at once.
   */
  readonly dispatch: (message: InboundMessage) => Promise<unknown> | undefined;
  readonly onError: (error: unknown) => void;
}

/**
 * The fetch loop of one assigned partition: reads the log in offset order,
 * dispatches each record, and parks until the next append when caught up.
 */
export class PartitionFetcher {
  readonly #options: PartitionFetcherOptions;
  readonly #abort = new AbortController();
  readonly #loop: Promise<void>;
  #next: number;

  constructor(options: PartitionFetcherOptions) {
    this.#options = options;
    this.#next = options.from;
    this.#loop = this.#run().catch(options.onError);
  }

  get partition(): number {
    return this.#options.partition;
  }

  /** The next offset this fetcher will read. */
  get position(): number {
    return this.#next;
  }

  /**
   * Stops fetching. Resolves when the loop has exited, which waits for a
   * dispatch already under way (a run waiting for a processor) to resolve.
   */
  stop(): Promise<void> {
    this.#abort.abort();
    return this.#loop;
  }

  async #run(): Promise<void> {
    const { log, topic, partition, dispatch } = this.#options;
    const signal = this.#abort.signal;
    // Never deliver inside the call that created the fetcher.
    await Promise.resolve();
    let burst = 0;
    while (!signal.aborted) {
      const record = log.at(this.#next);
      if (record === undefined) {
        await log.waitForAppend(this.#next, signal);
        continue;
      }
      const wait = dispatch(toInboundMessage(topic, partition, record));
      if (wait !== undefined) await wait;
      this.#next += 1;
      burst += 1;
      if (burst >= BURST) {
        burst = 0;
        await nextTurn();
      }
    }
  }
}
