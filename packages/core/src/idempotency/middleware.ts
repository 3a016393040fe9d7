import type { TaskMiddleware } from '../server/middleware.js';
import type { TaskContext } from '../task/types.js';
import { MemoryIdempotencyStore } from './memory-store.js';
import type { IdempotencyStore } from './types.js';

export interface IdempotencyOptions {
  /** Where finished keys are kept. Default: a `MemoryIdempotencyStore`. */
  readonly store?: IdempotencyStore;
  /**
   * The key of a message. Default `<group>/<topic>/<partition>/<offset>`: a
   * redelivery of the same record. Use a business id (`ctx.headers`, the
   * decoded value) to also skip a message pushed twice.
   */
  readonly key?: (ctx: TaskContext) => string;
  /** Called for each message skipped as already processed. */
  readonly onSkip?: (ctx: TaskContext, key: string) => void;
}

export function defaultIdempotencyKey(ctx: TaskContext): string {
  return `${ctx.group}/${ctx.topic}/${ctx.partition}/${ctx.offset}`;
}

/**
 * Middleware that skips a message already processed: before the run it asks
 * the store for the message's key and skips the task when it is there; after
 * a successful run it records the key. A failed run records nothing, so it
 * is retried as usual. Two deliveries of one key running at the same moment
 * (not a redelivery) may both run: pair it with `ordering: 'key'` and a
 * business-id key to rule that out.
 */
export function idempotency(options: IdempotencyOptions = {}): TaskMiddleware {
  const store = options.store ?? new MemoryIdempotencyStore();
  const keyOf = options.key ?? defaultIdempotencyKey;
  const { onSkip } = options;
  return async (ctx, next) => {
    const key = keyOf(ctx);
    if (await store.has(key)) {
      ctx.logger.debug('skipped: already processed', { key, offset: ctx.offset });
      onSkip?.(ctx, key);
      return;
    }
    await next();
    await store.add(key);
  };
}
