/** Exit code for a configuration mistake: a child that exits with it is not restarted. */
export const configMistakeCode = 2;
/** Exit code after a second Ctrl-C, as the single-process worker. */
export const forcedCode = 130;

/** One running child, as the supervisor sees it. */
export interface SupervisedChild {
  /** Sends a signal; a child that already exited ignores it. */
  kill(signal: NodeJS.Signals): void;
}

/** How a child ended: its exit code, or the signal that ended it. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What the supervisor needs from the outside world; tests pass fakes. */
export interface SupervisorDeps {
  /** Starts child `index`; `onExit` is called once, when it ended. */
  fork(index: number, onExit: (exit: ChildExit) => void): SupervisedChild;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  now(): number;
  log(line: string): void;
}

export interface RestartPolicy {
  /** The first restart's delay; each quick exit after it doubles it. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A child that ran this long before it exited restarts after `initialBackoffMs` again. */
  readonly resetAfterMs: number;
  /** A signal this soon after the first is the same Ctrl-C delivered twice (by a wrapper). */
  readonly duplicateSignalMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  resetAfterMs: 60_000,
  duplicateSignalMs: 1_000,
};

interface Slot {
  child: SupervisedChild | undefined;
  startedAt: number;
  /** Restarts in a row, each after a child that ran less than `resetAfterMs`. */
  quickExits: number;
  restartTimer: unknown;
}

/** The delay before the restart that follows `quickExits` quick exits in a row (1 for the first). */
export function backoffMs(quickExits: number, policy: RestartPolicy): number {
  return Math.min(policy.initialBackoffMs * 2 ** Math.max(0, quickExits - 1), policy.maxBackoffMs);
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/**
 * Runs `count` copies of the worker and keeps them running: a child that
 * exits while nobody asked it to is restarted with a capped exponential
 * backoff, unless it exited with a configuration mistake (then the others
 * are stopped and the supervisor exits 2). A signal is passed on to every
 * child, which drains; the supervisor's code is 0 once all exited 0.
 */
export class Supervisor {
  readonly #deps: SupervisorDeps;
  readonly #policy: RestartPolicy;
  readonly #slots: Slot[];
  #stopping = false;
  /** The signal passed on to the children: one that ended a child that had no handler yet is a clean stop. */
  #forwarded: NodeJS.Signals | undefined;
  #stoppedAt = 0;
  /** The code to exit with once every child exited, when something already decided it. */
  #code: number | undefined;
  #resolve: (code: number) => void = () => {};
  readonly #done: Promise<number>;

  constructor(count: number, deps: SupervisorDeps, policy: RestartPolicy = defaultRestartPolicy) {
    this.#deps = deps;
    this.#policy = policy;
    this.#slots = Array.from({ length: count }, () => ({
      child: undefined,
      startedAt: 0,
      quickExits: 0,
      restartTimer: undefined,
    }));
    this.#done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Starts every child; resolves with the code the supervisor should exit with. */
  run(): Promise<number> {
    for (let index = 0; index < this.#slots.length; index++) this.#start(index);
    return this.#done;
  }

  /** How many children run now. */
  get running(): number {
    return this.#slots.filter((slot) => slot.child !== undefined).length;
  }

  /**
   * SIGINT/SIGTERM: the first is passed to every child, and pending restarts
   * are dropped; a later one (not a duplicate) kills the children and ends
   * with 130.
   */
  signal(signal: NodeJS.Signals): void {
    const now = this.#deps.now();
    if (this.#stopping) {
      if (now - this.#stoppedAt < this.#policy.duplicateSignalMs) return;
      this.#deps.log(`supervisor: ${signal} again: killing the worker processes`);
      for (const slot of this.#slots) slot.child?.kill('SIGKILL');
      this.#finish(forcedCode);
      return;
    }
    this.#deps.log(`supervisor: ${signal} received: stopping ${this.running} worker processes`);
    this.#stop(signal, now);
  }

  #stop(signal: NodeJS.Signals, now: number): void {
    this.#stopping = true;
    this.#stoppedAt = now;
    this.#forwarded = signal;
    for (const slot of this.#slots) {
      if (slot.restartTimer !== undefined) {
        this.#deps.clearTimer(slot.restartTimer);
        slot.restartTimer = undefined;
      }
      slot.child?.kill(signal);
    }
    this.#settleIfAllExited();
  }

  #start(index: number): void {
    const slot = this.#slots[index]!;
    slot.restartTimer = undefined;
    slot.startedAt = this.#deps.now();
    slot.child = this.#deps.fork(index, (exit) => this.#exited(index, exit));
  }

  #exited(index: number, exit: ChildExit): void {
    const slot = this.#slots[index]!;
    slot.child = undefined;
    if (this.#stopping) {
      // Still starting (its handlers not yet there), it ended by the signal itself: nothing to drain.
      if (exit.code !== 0 && !(exit.signal !== null && exit.signal === this.#forwarded)) {
        this.#deps.log(`supervisor: process ${index} exited with ${describeExit(exit)}`);
        this.#code ??= exit.code ?? 1;
      }
      this.#settleIfAllExited();
      return;
    }
    if (exit.code === configMistakeCode) {
      this.#deps.log(
        `supervisor: process ${index} exited with code 2 (a configuration mistake): stopping the others`,
      );
      this.#code = configMistakeCode;
      this.#stop('SIGTERM', this.#deps.now());
      return;
    }
    const now = this.#deps.now();
    if (now - slot.startedAt >= this.#policy.resetAfterMs) slot.quickExits = 0;
    slot.quickExits += 1;
    const delay = backoffMs(slot.quickExits, this.#policy);
    this.#deps.log(
      `supervisor: process ${index} exited with ${describeExit(exit)}; restarting it in ${delay / 1000} s`,
    );
    slot.restartTimer = this.#deps.setTimer(() => this.#start(index), delay);
  }

  #settleIfAllExited(): void {
    if (this.running === 0) this.#finish(this.#code ?? 0);
  }

  #finish(code: number): void {
    this.#resolve(code);
  }
}
