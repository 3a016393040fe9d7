/**
 * Where the idempotency middleware remembers the messages it finished. A
 * Redis or SQL store implements these two calls; both may be sync or async.
 */
export interface IdempotencyStore {
  /** True when `key` was recorded (and not forgotten since). */
  has(key: string): boolean | Promise<boolean>;
  /** Records `key` as finished. */
  add(key: string): void | Promise<void>;
}
