import { RunTimeoutError } from '../errors/index.js';

/**
 * One attempt with a timeout: its own signal, which fires with
 * `RunTimeoutError` once `timeoutMs` pass, or with the partition's reason
 * when that fires first. `dispose` once the attempt settled.
 */
export class AttemptTimer {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal = this.#controller.signal;
  readonly #parent: AbortSignal;
  readonly #timer: NodeJS.Timeout;
  readonly #onParent = () => this.#controller.abort(this.#parent.reason);

  constructor(parent: AbortSignal, timeoutMs: number) {
    this.#parent = parent;
    if (parent.aborted) this.#controller.abort(parent.reason);
    else parent.addEventListener('abort', this.#onParent, { once: true });
    this.#timer = setTimeout(
      () => this.#controller.abort(new RunTimeoutError(timeoutMs)),
      timeoutMs,
    );
  }

  /** Settles with `running`, or rejects with the signal's reason as soon as it fires. */
  race(running: PromiseLike<unknown>): Promise<void> {
    const signal = this.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve(running).then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#parent.removeEventListener('abort', this.#onParent);
  }
}
