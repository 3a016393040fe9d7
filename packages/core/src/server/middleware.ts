import { StateError } from '../errors/index.js';
import type { TaskContext } from '../task/types.js';

/**
 * Wraps a run. Call `next()` to run the task (and the middleware inside this
 * one); what `next()` throws is the task's failure. Tracing, metrics and
 * custom policies plug in here.
 *
 * `passesThrough(ctx)`, when given, answers true for a run the middleware
 * would only hand to `next()`: when every middleware says so, the runner
 * calls the task directly, with no chain built (tracing at sampler 0 does
 * this for a message without trace context).
 */
export type TaskMiddleware = ((ctx: TaskContext, next: () => Promise<void>) => Promise<void>) & {
  readonly passesThrough?: (ctx: TaskContext) => boolean;
};

/** True when every middleware declares it would only pass this run through. */
export function allPassThrough(middleware: readonly TaskMiddleware[], ctx: TaskContext): boolean {
  for (let i = 0; i < middleware.length; i++) {
    const passesThrough = middleware[i]!.passesThrough;
    if (passesThrough === undefined || !passesThrough(ctx)) return false;
  }
  return true;
}

/** Composes middleware outermost-first around `run`. */
export function compose(
  middleware: readonly TaskMiddleware[],
  run: (ctx: TaskContext) => Promise<void>,
): (ctx: TaskContext) => Promise<void> {
  if (middleware.length === 0) return run;
  return (ctx) => {
    const dispatch = (i: number): Promise<void> => {
      // A run or layer that throws synchronously still fails through the promise,
      // so `next().catch(...)` and `next().then(ok, failed)` see every failure.
      try {
        const layer = middleware[i];
        if (!layer) return run(ctx);
        let called = false;
        return layer(ctx, () => {
          if (called)
            return Promise.reject(
              new StateError('next() called more than once by a task middleware'),
            );
          called = true;
          return dispatch(i + 1);
        });
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
