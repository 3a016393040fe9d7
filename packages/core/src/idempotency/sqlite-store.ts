import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ConfigError, StateError } from '../errors/index.js';
import type { IdempotencyStore } from './types.js';

export interface SqliteIdempotencyStoreOptions {
  /** The database file (created if missing), or `:memory:`. */
  readonly path: string;
  /** Table for the keys, created if missing. Default `tasks_idempotency`. */
  readonly table?: string;
}

const tableName = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A durable store on SQLite through Node's built-in `node:sqlite` (Node 22.13+,
 * nothing to install): keys survive a restart or a crash, so the duplicates a
 * crash before the commit causes become skips. One row per key, with the time
 * it was recorded; `prune(olderThanMs)` deletes old rows.
 *
 * Open it with `SqliteIdempotencyStore.open(options)` (it loads `node:sqlite`
 * on demand, so importing `@tasks/core` never does) and `close()` it at stop.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #db: DatabaseSync;
  readonly #has: StatementSync;
  readonly #add: StatementSync;
  readonly #prune: StatementSync;

  private constructor(db: DatabaseSync, table: string) {
    this.#db = db;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, recorded_at INTEGER NOT NULL) WITHOUT ROWID`,
    );
    this.#has = db.prepare(`SELECT 1 FROM ${table} WHERE key = ?`);
    this.#add = db.prepare(
      `INSERT INTO ${table} (key, recorded_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET recorded_at = excluded.recorded_at`,
    );
    this.#prune = db.prepare(`DELETE FROM ${table} WHERE recorded_at < ?`);
  }

  static async open(options: SqliteIdempotencyStoreOptions): Promise<SqliteIdempotencyStore> {
    const table = options.table ?? 'tasks_idempotency';
    const problems = [];
    if (typeof options.path !== 'string' || options.path.length === 0) {
      problems.push({ path: 'idempotency.sqlite.path', message: 'must be a non-empty string' });
    }
    if (!tableName.test(table)) {
      problems.push({
        path: 'idempotency.sqlite.table',
        message: `must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*), got ${JSON.stringify(table)}`,
      });
    }
    if (problems.length > 0) throw new ConfigError(problems);
    // Loaded by name at run time: bundlers rewrite a literal `import('node:sqlite')` to 'sqlite',
    // which Node does not know (it only exists with the prefix).
    const sqlite = process.getBuiltinModule('node:sqlite') as
      | typeof import('node:sqlite')
      | undefined;
    if (sqlite === undefined) {
      throw new StateError(
        `SqliteIdempotencyStore needs node:sqlite (Node 22.13 or later), this is Node ${process.version}`,
      );
    }
    const { DatabaseSync } = sqlite;
    const db = new DatabaseSync(options.path);
    // Concurrent readers and one writer without "database is locked" between workers on one file.
    db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000');
    return new SqliteIdempotencyStore(db, table);
  }

  has(key: string): boolean {
    return this.#has.get(key) !== undefined;
  }

  add(key: string): void {
    this.#add.run(key, Date.now());
  }

  /** Deletes keys recorded more than `olderThanMs` ago; returns how many. */
  prune(olderThanMs: number): number {
    return Number(this.#prune.run(Date.now() - olderThanMs).changes);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
