const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The next offset not yet handed to the dispatcher, per partition. After a
 * rebalance that keeps a partition, kafkajs fetches again from the committed
 * offset; the messages below this mark are already running or finished (and
 * tracked), so the fetch loop skips them instead of running them twice.
 */
export class DispatchedOffsets {
  readonly #next = new Map<string, number>();

  /** True when `offset` was not handed out yet in this ownership of the partition. */
  isNew(topic: string, partition: number, offset: number): boolean {
    const next = this.#next.get(key(topic, partition));
    return next === undefined || offset >= next;
  }

  mark(topic: string, partition: number, offset: number): void {
    this.#next.set(key(topic, partition), offset + 1);
  }

  /** The partition was revoked: whoever owns it next starts from its committed offset. */
  forget(topic: string, partition: number): void {
    this.#next.delete(key(topic, partition));
  }
}
