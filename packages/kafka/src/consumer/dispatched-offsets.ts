/**
 * The next offset not yet handed to the dispatcher, per partition. After a
 * rebalance that keeps a partition, kafkajs fetches again from the committed
 * offset; the messages below this mark are already running or finished (and
 * tracked), so the fetch loop skips them instead of running them twice.
 */
export class DispatchedOffsets {
  /** Topic, then partition: no key string built per message. */
  readonly #next = new Map<string, Map<number, number>>();
  /** Bumped at each revocation: a batch fetched in an earlier ownership is stale. */
  readonly #ownership = new Map<string, Map<number, number>>();

  /**
   * Which ownership of the partition this is. A batch notes it when it starts
   * and hands out nothing more, nor resolves anything, once it changed: kafkajs
   * can re-join (from another broker's fetcher) while a batch is in flight.
   */
  ownership(topic: string, partition: number): number {
    return this.#ownership.get(topic)?.get(partition) ?? 0;
  }

  /** True when `offset` was not handed out yet in this ownership of the partition. */
  isNew(topic: string, partition: number, offset: number): boolean {
    const next = this.#next.get(topic)?.get(partition);
    return next === undefined || offset >= next;
  }

  mark(topic: string, partition: number, offset: number): void {
    let partitions = this.#next.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.#next.set(topic, partitions);
    }
    partitions.set(partition, offset + 1);
  }

  /** The partition was revoked: whoever owns it next starts from its committed offset. */
  forget(topic: string, partition: number): void {
    this.#next.get(topic)?.delete(partition);
    let partitions = this.#ownership.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.#ownership.set(topic, partitions);
    }
    partitions.set(partition, (partitions.get(partition) ?? 0) + 1);
  }
}
