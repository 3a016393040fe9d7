import type { StoredRecord } from './types.js';

/**
 * One partition's append-only log. Offsets start at 0 and never have gaps
 * (no compaction, no retention). Readers park on `waitForAppend` and are woken
 * by the next append.
 */
export class PartitionLog {
  readonly #records: StoredRecord[] = [];
  readonly #waiters = new Set<() => void>();

  /** Appends a record and returns its offset. */
  append(record: Omit<StoredRecord, 'offset'>): number {
    const offset = this.#records.length;
    this.#records.push(Object.freeze({ ...record, offset }));
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
    return offset;
  }

  /** The record at `offset`, or `undefined` past the end. */
  at(offset: number): StoredRecord | undefined {
    return this.#records[offset];
  }

  /** The first offset still in the log (always 0: nothing is ever deleted). */
  get startOffset(): number {
    return 0;
  }

  /** The offset the next record will get (Kafka's log end offset / high watermark). */
  get endOffset(): number {
    return this.#records.length;
  }

  records(): readonly StoredRecord[] {
    return this.#records;
  }

  /** Resolves once a record exists at `offset`, or when `signal` aborts. Never rejects. */
  waitForAppend(offset: number, signal: AbortSignal): Promise<void> {
    if (offset < this.#records.length || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
