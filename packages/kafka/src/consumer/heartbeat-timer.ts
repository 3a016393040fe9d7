import { isRebalanceError } from '../errors/map-error.js';

/**
 * kafkajs heartbeats only between batches. While batches wait for a free
 * processor (backpressure), this keeps heartbeats flowing so long runs do not
 * get the member thrown out of its group. kafkajs spaces the actual requests
 * by `heartbeatInterval`, so ticking at half of it is cheap.
 *
 * A heartbeat answered with "rebalance in progress" goes to `onRebalance`:
 * the waiting batches give up so kafkajs can re-join at once.
 */
export class HeartbeatTimer {
  readonly #everyMs: number;
  readonly #onRebalance: (error: Error) => void;
  readonly #onError: (error: unknown) => void;
  #heartbeat: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beating = false;

  constructor(
    everyMs: number,
    onRebalance: (error: Error) => void,
    onError: (error: unknown) => void,
  ) {
    this.#everyMs = everyMs;
    this.#onRebalance = onRebalance;
    this.#onError = onError;
  }

  /** Starts ticking with kafkajs's `heartbeat` of the current batch (no-op if running). */
  start(heartbeat: () => Promise<void>): void {
    this.#heartbeat = heartbeat;
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const heartbeat = this.#heartbeat;
    if (this.#beating || !heartbeat) return;
    this.#beating = true;
    heartbeat()
      .catch((error: unknown) => {
        if (isRebalanceError(error)) this.#onRebalance(error as Error);
        else this.#onError(error);
      })
      .finally(() => {
        this.#beating = false;
      });
  }
}
