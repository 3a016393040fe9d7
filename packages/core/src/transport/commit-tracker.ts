interface Entry {
  readonly offset: number;
  state: 'running' | 'done' | 'abandoned';
}

class PartitionLedger {
  readonly entries: Entry[] = [];
  readonly byOffset = new Map<number, Entry>();
  head = 0;
  /** The first offset begun: what a never-committed partition counts from. */
  firstBegun: number | undefined;
  /** The highest offset begun; kept apart from `entries`, which compaction empties. */
  lastBegun: number | undefined;
  /** The next offset to commit (Kafka commits "the next offset to read"). */
  committable: number | undefined;
  committed: number | undefined;

  compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

export interface CommitPosition {
  readonly topic: string;
  readonly partition: number;
  /** The offset to commit: every message below it is finished. */
  readonly offset: number;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Tracks which fetched messages are finished, per partition, and says how far
 * each partition may be committed: only ever over a contiguous run of
 * finished messages, never past one still running or not done.
 */
export class CommitTracker {
  readonly #ledgers = new Map<
    string,
    { topic: string; partition: number; ledger: PartitionLedger }
  >();
  #inFlight = 0;

  #ledger(topic: string, partition: number): PartitionLedger {
    const key = tpKey(topic, partition);
    let found = this.#ledgers.get(key);
    if (!found) {
      found = { topic, partition, ledger: new PartitionLedger() };
      this.#ledgers.set(key, found);
    }
    return found.ledger;
  }

  /** A message was handed to a handler. Call in offset order per partition. */
  begin(topic: string, partition: number, offset: number): void {
    const ledger = this.#ledger(topic, partition);
    if (ledger.byOffset.has(offset)) return;
    const last = ledger.lastBegun;
    if (last !== undefined && last > offset) {
      throw new RangeError(`offset ${offset} began after ${last} on ${topic}[${partition}]`);
    }
    ledger.lastBegun = offset;
    ledger.firstBegun ??= offset;
    const entry: Entry = { offset, state: 'running' };
    ledger.entries.push(entry);
    ledger.byOffset.set(offset, entry);
    this.#inFlight += 1;
  }

  /** The handler finished the message. Returns false if it was not being tracked. */
  complete(topic: string, partition: number, offset: number): boolean {
    const ledger = this.#ledgers.get(tpKey(topic, partition))?.ledger;
    const entry = ledger?.byOffset.get(offset);
    if (!ledger || entry?.state !== 'running') return false;
    entry.state = 'done';
    this.#inFlight -= 1;
    while (ledger.head < ledger.entries.length && ledger.entries[ledger.head]!.state === 'done') {
      const finished = ledger.entries[ledger.head]!;
      ledger.byOffset.delete(finished.offset);
      ledger.committable = finished.offset + 1;
      ledger.head += 1;
    }
    ledger.compact();
    return true;
  }

  /**
   * The handler gave up on the message without finishing it (shutdown). It
   * stays in the ledger, so nothing at or after it is ever committed.
   */
  abandon(topic: string, partition: number, offset: number): void {
    const entry = this.#ledgers.get(tpKey(topic, partition))?.ledger.byOffset.get(offset);
    if (entry?.state === 'running') {
      entry.state = 'abandoned';
      this.#inFlight -= 1;
    }
  }

  /** Positions that moved since they were last marked committed. */
  pending(): CommitPosition[] {
    const out: CommitPosition[] = [];
    for (const { topic, partition, ledger } of this.#ledgers.values()) {
      if (ledger.committable !== undefined && ledger.committable !== ledger.committed) {
        out.push({ topic, partition, offset: ledger.committable });
      }
    }
    return out;
  }

  /**
   * Finished runs not covered by a commit yet (`markCommitted`): below the
   * committable position, and finished beyond a run still going. What a crash
   * or a failed final commit would make run again.
   */
  finishedUncommitted(): number {
    let count = 0;
    for (const { ledger } of this.#ledgers.values()) {
      const from = ledger.committed ?? ledger.firstBegun;
      if (ledger.committable !== undefined && from !== undefined && ledger.committable > from) {
        count += ledger.committable - from;
      }
      for (let i = ledger.head; i < ledger.entries.length; i++) {
        if (ledger.entries[i]!.state === 'done') count += 1;
      }
    }
    return count;
  }

  markCommitted(position: CommitPosition): void {
    const ledger = this.#ledgers.get(tpKey(position.topic, position.partition))?.ledger;
    if (ledger && (ledger.committed === undefined || position.offset > ledger.committed)) {
      ledger.committed = position.offset;
    }
  }

  /** Forget a partition (revoked): its messages are the next owner's now. */
  forget(topic: string, partition: number): void {
    const found = this.#ledgers.get(tpKey(topic, partition));
    if (!found) return;
    for (let i = found.ledger.head; i < found.ledger.entries.length; i++) {
      if (found.ledger.entries[i]!.state === 'running') this.#inFlight -= 1;
    }
    this.#ledgers.delete(tpKey(topic, partition));
  }

  /** Messages begun and neither completed nor abandoned. */
  get inFlight(): number {
    return this.#inFlight;
  }
}
