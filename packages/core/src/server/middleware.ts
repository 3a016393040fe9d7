import { StateError } from '../errors/index.js';
import type { TaskContext } from '../task/types.js';

/**
 * Wraps a run. Call `next()` to run the task (and the middleware inside this
 * one); what `next()` throws is the task's failure. Tracing, metrics and
 * custom policies plug in here.
 */
export type TaskMiddleware = (ctx: TaskContext, next: () => Promise<void>) => Promise<void>;

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
