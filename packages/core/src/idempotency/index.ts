export { MemoryIdempotencyStore, type MemoryIdempotencyStoreOptions } from './memory-store.js';
export { defaultIdempotencyKey, type IdempotencyOptions, idempotency } from './middleware.js';
export { SqliteIdempotencyStore, type SqliteIdempotencyStoreOptions } from './sqlite-store.js';
export type { IdempotencyStore } from './types.js';
