import type { MessageHandler } from '@tasks/core';

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Says when the dispatcher can take a message without blocking: fewer than
 * `processors` runs in flight and, with `commitInOrder`, none of this
 * partition's. Unlike waiting inside `Dispatcher.dispatch`, waiting here can
 * be abandoned (a rebalance, a stop) without leaving a message half-dispatched.
 */
export class Admission {
  readonly #processors: number;
  readonly #perPartition: boolean;
  readonly #byPartition = new Map<string, number>();
  #running = 0;
  #waiters = new Set<() => void>();

  constructor(processors: number, commitInOrder: boolean) {
    this.#processors = processors;
    this.#perPartition = commitInOrder;
  }

  /** Wraps the dispatcher's handler so every settled run frees its place. */
  wrap(handler: MessageHandler): MessageHandler {
    return async (message) => {
      try {
        await handler(message);
      } finally {
        this.leave(message.topic, message.partition);
      }
    };
  }

  /** True if a message of this partition may be dispatched now. */
  open(topic: string, partition: number): boolean {
    if (this.#running >= this.#processors) return false;
    return !this.#perPartition || (this.#byPartition.get(key(topic, partition)) ?? 0) === 0;
  }

  /** Resolves `true` once `open`, or `false` as soon as `signal` fires. */
  wait(topic: string, partition: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.open(topic, partition)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (signal.aborted) finish(false);
        else if (this.open(topic, partition)) finish(true);
      };
      const finish = (admitted: boolean) => {
        this.#waiters.delete(check);
        signal.removeEventListener('abort', check);
        resolve(admitted);
      };
      this.#waiters.add(check);
      signal.addEventListener('abort', check, { once: true });
    });
  }

  /** Takes a place; call right before `dispatch`, in the same synchronous step as `open`. */
  enter(topic: string, partition: number): void {
    this.#running += 1;
    const k = key(topic, partition);
    this.#byPartition.set(k, (this.#byPartition.get(k) ?? 0) + 1);
  }

  get running(): number {
    return this.#running;
  }

  /** Frees a place: the wrapped handler does it when a run settles; call it yourself for a message that never ran. */
  leave(topic: string, partition: number): void {
    this.#running -= 1;
    const k = key(topic, partition);
    const left = (this.#byPartition.get(k) ?? 1) - 1;
    if (left > 0) this.#byPartition.set(k, left);
    else this.#byPartition.delete(k);
    for (const check of [...this.#waiters]) check();
  }
}
