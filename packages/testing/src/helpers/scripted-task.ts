import type { ITask, TaskContext } from '@tasks/core';
import { createDeferred, type Deferred } from './deferred.js';

/** One call of a task's `run`: one attempt at one message. */
export interface TaskCall {
  readonly key: string;
  readonly value: string;
  readonly ctx: TaskContext;
}

/** What a scripted task does on each call. Throwing throws from `run` itself (synchronously). */
export type TaskScript = (call: TaskCall) => void | Promise<void>;

/**
 * An `ITask` that records every call and does what its script says. Give it
 * to `factory.gen(key, task.create)`.
 */
export class ScriptedTask implements ITask {
  readonly #script: TaskScript;
  readonly #calls: TaskCall[] = [];
  #stopCalls = 0;

  constructor(script: TaskScript = () => undefined) {
    this.#script = script;
  }

  /** Every call, retries included, in call order. */
  get calls(): readonly TaskCall[] {
    return this.#calls;
  }

  /** How many times `stop()` was called. */
  get stopCalls(): number {
    return this.#stopCalls;
  }

  /** A `FuncCreateTask` that hands out this instance, for `factory.gen`. */
  readonly create = (): ITask => this;

  run(ctx: TaskContext, key: string, value: string): void | Promise<void> {
    const call: TaskCall = { key, value, ctx };
    this.#calls.push(call);
    return this.#script(call);
  }

  stop(): void {
    this.#stopCalls += 1;
  }
}

/** A recording task running `script` (by default: succeed at once). */
export function scriptedTask(script?: TaskScript): ScriptedTask {
  return new ScriptedTask(script);
}

/** How a `failingTask` fails. */
export interface FailingTaskOptions {
  /** Attempts of each matching message that fail; later ones succeed. Default: all of them. */
  readonly attempts?: number;
  /** Which calls fail; the others succeed. Default: all. */
  readonly when?: (call: TaskCall) => boolean;
  /** What to throw; any value, not only an `Error`. Default: an `Error` naming the message. */
  readonly error?: (call: TaskCall) => unknown;
  /** `reject` (default) returns a rejected promise; `throw` throws synchronously from `run`. */
  readonly mode?: 'reject' | 'throw';
}

/** A task that fails on demand: the first `attempts` attempts of the messages `when` picks. */
export function failingTask(options: FailingTaskOptions = {}): ScriptedTask {
  const attempts = options.attempts ?? Number.POSITIVE_INFINITY;
  const error =
    options.error ??
    ((call: TaskCall) =>
      new Error(
        `scripted failure of ${call.ctx.topic}[${call.ctx.partition}]@${call.ctx.offset} (attempt ${call.ctx.attempt})`,
      ));
  return new ScriptedTask((call) => {
    if (call.ctx.attempt > attempts || !(options.when?.(call) ?? true)) return undefined;
    const thrown = error(call);
    if (options.mode === 'throw') throw thrown;
    return Promise.reject(thrown);
  });
}

/** Which calls a `BlockingTask` holds. */
export interface BlockingTaskOptions {
  /** Calls to hold; the others succeed at once. Default: all. */
  readonly when?: (call: TaskCall) => boolean;
}

function untilReleasedOrAborted(gate: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void gate.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * A task whose runs wait until `release()` (then they succeed) or until the
 * server aborts them (then they reject with the abort reason, as a
 * well-behaved task does). For tests of shutdown, commits and crashes.
 */
export class BlockingTask extends ScriptedTask {
  readonly #gate: Deferred;

  constructor(options: BlockingTaskOptions = {}) {
    const gate = createDeferred();
    super((call) =>
      (options.when?.(call) ?? true)
        ? untilReleasedOrAborted(gate.promise, call.ctx.signal)
        : undefined,
    );
    this.#gate = gate;
  }

  /** Lets every held run, and every later one, succeed. */
  release(): void {
    this.#gate.resolve();
  }

  get released(): boolean {
    return this.#gate.settled;
  }
}

/** A `BlockingTask`: holds runs until `release()` or the server's abort. */
export function blockingTask(options?: BlockingTaskOptions): BlockingTask {
  return new BlockingTask(options);
}
