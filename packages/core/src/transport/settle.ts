import type { InboundMessage } from './types.js';

/**
 * Ends one run started through a `SettleHandler`: `finished` true lets its
 * offset be committed; false leaves it uncommitted (`error` says why).
 */
export type Settle<T> = (token: T, finished: boolean, error?: unknown) => void;

/**
 * The callback form of a `MessageHandler` (core-internal): it never throws
 * and calls `settle(token, ...)` exactly once, synchronously when the task
 * returned a plain value. A run that finishes at once then needs no promise
 * at all, and one that awaits needs none beyond the task's own.
 */
export type SettleHandler = <T>(message: InboundMessage, settle: Settle<T>, token: T) => void;

/**
 * Where a `MessageHandler` made by core carries its `SettleHandler` (the
 * Dispatcher looks for it). A registered symbol: the root entry and
 * `@tasks/core/transport` are bundled apart and must agree on it.
 */
export const settleForm: unique symbol = Symbol.for('@tasks/core.settleForm');

/** A handler that may carry its callback form. */
export interface MaybeSettleForm {
  readonly [settleForm]?: SettleHandler;
}
