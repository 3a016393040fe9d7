import { OffsetOrderError } from '../errors/kinds.js';

const RUNNING = 0;
const DONE = 1;
const ABANDONED = 2;

/** Entries below the head are dropped once this many pile up (and they are most of the ledger). */
const COMPACT_AT = 1024;

/**
 * Everything a transport and core keep about one partition, in one object:
 * which offsets were handed out (so a re-fetch skips them), how many runs are
 * in flight (one at a time with `commitInOrder`), and the commit ledger: the
 * begun offsets in order, and how far a contiguous run of them finished.
 *
 * A transport resolves it once per fetched batch (`Dispatcher.partition`), so
 * nothing per message builds a key or looks up a map. A run remembers the
 * `generation` it began in and the `seq` it got; after a revocation
 * (`reset`) the generation moved on and its result changes nothing.
 */
export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Bumped by `reset` (revocation): runs begun in an earlier generation no longer count. */
  generation = 0;
  /** Runs of this partition in flight, whatever their generation. */
  running = 0;
  /** Dispatches of this partition waiting for a processor or their turn. */
  waiting = 0;
  /** Offsets begun in this generation, ascending; entry `i` has sequence number `#base + i`. */
  #offsets: number[] = [];
  #states: number[] = [];
  #base = 0;
  /** Index of the first entry not finished: everything before it is done. */
  #head = 0;
  /** Entries begun and neither completed nor abandoned, this generation. */
  #open = 0;
  /** The highest offset begun this generation (-1: none); kept apart from the ledger, which compaction empties. */
  #lastBegun = -1;
  /** The first offset begun this generation (-1: none): what a never-committed partition counts from. */
  #firstBegun = -1;
  /**
   * When the partition reached the dispatcher's `maxUncommitted` (epoch ms),
   * 0 when it is not held: set by the first refused dispatch, cleared once
   * its ledger drained to half the bound (or at a revocation).
   */
  heldSince = 0;
  /** The next offset to commit (Kafka commits "the next offset to read"). */
  committable: number | undefined;
  committed: number | undefined;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** True when `offset` was not handed out yet in this generation. */
  isNew(offset: number): boolean {
    return offset > this.#lastBegun;
  }

  /**
   * Starts tracking `offset` (call in offset order) and returns its sequence
   * number for `complete`/`abandon`. Beginning the offset still running last
   * returns that one's number; an offset below the last begun is an `OffsetOrderError`.
   */
  begin(offset: number): number {
    const last = this.#lastBegun;
    if (offset < last) throw new OffsetOrderError(this.topic, this.partition, offset, last);
    const tail = this.#offsets.length - 1;
    if (offset === last && this.#states[tail] === RUNNING) return this.#base + tail;
    this.#lastBegun = offset;
    if (this.#firstBegun < 0) this.#firstBegun = offset;
    this.#offsets.push(offset);
    this.#states.push(RUNNING);
    this.#open += 1;
    return this.#base + this.#offsets.length - 1;
  }

  /** The run of `seq` finished. Returns false if it was not running. */
  complete(seq: number): boolean {
    // Out of range (an earlier generation's number) reads undefined: not running either.
    const i = seq - this.#base;
    if (this.#states[i] !== RUNNING) return false;
    this.#states[i] = DONE;
    this.#open -= 1;
    if (i !== this.#head) return true;
    const states = this.#states;
    let head = this.#head;
    while (states[head] === DONE) head += 1;
    this.committable = this.#offsets[head - 1]! + 1;
    this.#head = head;
    if (head > COMPACT_AT && head * 2 > states.length) {
      this.#offsets.splice(0, head);
      states.splice(0, head);
      this.#base += head;
      this.#head = 0;
    }
    return true;
  }

  /**
   * The run of `seq` gave up without finishing (shutdown). It stays in the
   * ledger, so nothing at or after it is ever committed this generation.
   */
  abandon(seq: number): void {
    const i = seq - this.#base;
    if (this.#states[i] === RUNNING) {
      this.#states[i] = ABANDONED;
      this.#open -= 1;
    }
  }

  /**
   * The sequence number of `offset`'s entry if it is running, or -1. Only the
   * last entry of an offset can be running (`begin` of a running offset
   * returns its number), so the search looks at that one.
   */
  seqOf(offset: number): number {
    const offsets = this.#offsets;
    let lo = this.#head;
    let hi = offsets.length;
    // The first index whose offset is greater than `offset`.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offsets[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    return offsets[i] === offset && this.#states[i] === RUNNING ? this.#base + i : -1;
  }

  /**
   * Finished runs not covered by a commit yet (`committed`): below the
   * committable position, and finished beyond a run still going. What a crash
   * or a failed final commit would make run again.
   */
  finishedUncommitted(): number {
    let count = 0;
    const from = this.committed ?? (this.#firstBegun < 0 ? undefined : this.#firstBegun);
    if (this.committable !== undefined && from !== undefined && this.committable > from) {
      count += this.committable - from;
    }
    const states = this.#states;
    for (let i = this.#head; i < states.length; i++) if (states[i] === DONE) count += 1;
    return count;
  }

  /**
   * Entries from the first one not finished on (running, waiting behind a
   * key, or finished beyond it): what the watermark holds back, and what a
   * crash would run again. Constant time: the dispatcher's bound reads it per message.
   */
  get aboveWatermark(): number {
    return this.#offsets.length - this.#head;
  }

  /** The offset holding the watermark back (the first begun and not finished), or -1 when none is. */
  get firstUnfinished(): number {
    return this.#head < this.#offsets.length ? this.#offsets[this.#head]! : -1;
  }

  /** Entries the ledger holds (finished ones are dropped in chunks): bounded while commits advance. */
  get tracked(): number {
    return this.#offsets.length;
  }

  /** Entries begun this generation and neither completed nor abandoned. */
  get open(): number {
    return this.#open;
  }

  /** Revoked: the ledger empties and the generation moves on; runs in flight still count in `running`. */
  reset(): void {
    this.generation += 1;
    this.heldSince = 0;
    this.#offsets = [];
    this.#states = [];
    this.#base = 0;
    this.#head = 0;
    this.#open = 0;
    this.#lastBegun = -1;
    this.#firstBegun = -1;
    this.committable = undefined;
    this.committed = undefined;
  }
}
