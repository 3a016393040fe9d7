import { ConfigError } from '../errors/index.js';
import type { IdempotencyStore } from './types.js';

export interface MemoryIdempotencyStoreOptions {
  /** Keys kept; the least recently used goes first. Default 100 000. */
  readonly maxKeys?: number;
}

/**
 * The in-memory store: a least-recently-used set of keys. It forgets on
 * restart, so it turns redeliveries within one process (a rebalance back
 * to this member) into skips, not those after a crash: use a durable store
 * (`SqliteIdempotencyStore`, your own) for that.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #maxKeys: number;
  /** Insertion order is recency: a hit moves its key to the end. */
  readonly #keys = new Set<string>();

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new ConfigError([
        {
          path: 'idempotency.maxKeys',
          message: `must be a whole number of at least 1, got ${String(maxKeys)}`,
        },
      ]);
    }
    this.#maxKeys = maxKeys;
  }

  has(key: string): boolean {
    if (!this.#keys.has(key)) return false;
    this.#keys.delete(key);
    this.#keys.add(key);
    return true;
  }

  add(key: string): void {
    this.#keys.delete(key);
    this.#keys.add(key);
    if (this.#keys.size > this.#maxKeys) {
      const oldest = this.#keys.values().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#keys.size;
  }
}
