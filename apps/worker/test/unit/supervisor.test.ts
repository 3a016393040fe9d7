import { describe, expect, it } from 'vitest';
import { childArgs, parseWorkerArgs, UsageError } from '../../src/cli/args.js';
import {
  backoffMs,
  type ChildExit,
  defaultRestartPolicy,
  Supervisor,
  type SupervisorDeps,
} from '../../src/procs/supervisor.js';

/** Fake children and a fake clock: each fork is recorded, timers run when the test says. */
function harness(count: number) {
  let now = 0;
  const forks: Array<{ index: number; exit: (exit: ChildExit) => void; signals: string[] }> = [];
  const timers = new Map<number, { at: number; run: () => void }>();
  let nextTimer = 0;
  const log: string[] = [];
  const deps: SupervisorDeps = {
    fork: (index, onExit) => {
      const child = { index, exit: onExit, signals: [] as string[] };
      forks.push(child);
      return { kill: (signal) => child.signals.push(signal) };
    },
    setTimer: (run, ms) => {
      nextTimer += 1;
      timers.set(nextTimer, { at: now + ms, run });
      return nextTimer;
    },
    clearTimer: (timer) => timers.delete(timer as number),
    now: () => now,
    log: (line) => log.push(line),
  };
  const supervisor = new Supervisor(count, deps);
  let code: number | undefined;
  supervisor.run().then((c) => {
    code = c;
  });
  return {
    supervisor,
    forks,
    log,
    timers,
    /** The latest child of each index. */
    latest: (index: number) => forks.filter((f) => f.index === index).at(-1)!,
    /** Moves the clock; runs the timers that came due. */
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.run();
        }
      }
    },
    /** The supervisor's code once settled (after the microtasks ran). */
    async code() {
      await Promise.resolve();
      await Promise.resolve();
      return code;
    },
  };
}

describe('--processes on the command line', () => {
  it('defaults to 1, takes n or auto, from the flag before WORKER_PROCESSES', () => {
    const kafka = { KAFKA_BROKERS: 'h:1' };
    expect(parseWorkerArgs([], kafka, 'c').processes).toBe(1);
    expect(parseWorkerArgs(['--processes', '3'], kafka, 'c').processes).toBe(3);
    expect(parseWorkerArgs(['--processes=auto'], kafka, 'c', () => 6).processes).toBe(6);
    expect(parseWorkerArgs([], { ...kafka, WORKER_PROCESSES: '4' }, 'c').processes).toBe(4);
    expect(
      parseWorkerArgs(['--processes', '2'], { ...kafka, WORKER_PROCESSES: '4' }, 'c').processes,
    ).toBe(2);
  });

  it('rejects a bad count, naming the flag or the variable it came from', () => {
    const kafka = { KAFKA_BROKERS: 'h:1' };
    for (const bad of ['0', '-1', '1.5', 'many', '']) {
      expect(() => parseWorkerArgs([`--processes=${bad}`], kafka, 'c')).toThrow(
        new UsageError(`--processes must be a whole number >= 1 or "auto", got "${bad}"`),
      );
    }
    expect(() => parseWorkerArgs([], { ...kafka, WORKER_PROCESSES: 'x' }, 'c')).toThrow(
      /^WORKER_PROCESSES must be/,
    );
  });

  it('refuses the in-memory broker, --demo and --exit-when-idle with several processes', () => {
    const kafka = { KAFKA_BROKERS: 'h:1' };
    expect(() => parseWorkerArgs(['--processes', '2'], {}, 'c')).toThrow(/in-memory broker/);
    expect(() => parseWorkerArgs(['--processes', '2', '--demo', '5'], kafka, 'c')).toThrow(
      /--processes cannot be combined with --demo or --exit-when-idle/,
    );
    expect(() => parseWorkerArgs(['--processes', '2', '--exit-when-idle'], kafka, 'c')).toThrow(
      UsageError,
    );
    // One process is the single-process worker, demo and all.
    expect(parseWorkerArgs(['--processes', '1'], {}, 'c')).toMatchObject({ demo: 100 });
    expect(parseWorkerArgs(['--processes', '2'], kafka, 'c')).toMatchObject({ demo: 0 });
    expect(parseWorkerArgs(['--processes', '2', '--help'], {}, 'c').help).toBe(true);
  });

  it('makes a child of its index: one process, no demo, whatever WORKER_PROCESSES says', () => {
    const env = { KAFKA_BROKERS: 'h:1', WORKER_PROCESS_INDEX: '1', WORKER_PROCESSES: '4' };
    expect(parseWorkerArgs([], env, 'c')).toMatchObject({
      processes: 1,
      processIndex: 1,
      demo: 0,
    });
  });

  it('hands the children the same arguments without --processes', () => {
    expect(
      childArgs([
        '--config',
        'w.yaml',
        '--processes',
        '2',
        '--transport',
        'kafka',
        '--processes=3',
      ]),
    ).toEqual(['--config', 'w.yaml', '--transport', 'kafka']);
  });
});

describe('the supervisor of --processes', () => {
  it('forks one child per index', () => {
    const h = harness(3);
    expect(h.forks.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(h.supervisor.running).toBe(3);
  });

  it('passes the first signal to every child and exits 0 once all exited 0', async () => {
    const h = harness(2);
    h.supervisor.signal('SIGTERM');
    expect(h.forks.map((f) => f.signals)).toEqual([['SIGTERM'], ['SIGTERM']]);
    h.latest(0).exit({ code: 0, signal: null });
    expect(await h.code()).toBeUndefined();
    h.latest(1).exit({ code: 0, signal: null });
    expect(await h.code()).toBe(0);
    expect(h.forks).toHaveLength(2);
  });

  it('exits with the code of a child that failed its drain', async () => {
    const h = harness(2);
    h.supervisor.signal('SIGINT');
    h.latest(0).exit({ code: 1, signal: null });
    h.latest(1).exit({ code: 0, signal: null });
    expect(await h.code()).toBe(1);
  });

  it('takes a child ended by the forwarded signal itself (before its handlers) as stopped', async () => {
    const h = harness(2);
    h.supervisor.signal('SIGTERM');
    h.latest(0).exit({ code: null, signal: 'SIGTERM' });
    h.latest(1).exit({ code: 0, signal: null });
    expect(await h.code()).toBe(0);
  });

  it('exits 1 for a child killed by another signal during the drain', async () => {
    const h = harness(1);
    h.supervisor.signal('SIGTERM');
    h.latest(0).exit({ code: null, signal: 'SIGKILL' });
    expect(await h.code()).toBe(1);
  });

  it('kills the children and exits 130 on a second Ctrl-C, not on a duplicate', async () => {
    const h = harness(2);
    h.supervisor.signal('SIGINT');
    h.advance(defaultRestartPolicy.duplicateSignalMs - 1);
    h.supervisor.signal('SIGINT');
    expect(h.latest(0).signals).toEqual(['SIGINT']);
    expect(await h.code()).toBeUndefined();
    h.advance(1);
    h.supervisor.signal('SIGINT');
    expect(h.forks.map((f) => f.signals)).toEqual([
      ['SIGINT', 'SIGKILL'],
      ['SIGINT', 'SIGKILL'],
    ]);
    expect(await h.code()).toBe(130);
  });

  it('restarts a child that exited unasked, with a backoff that doubles up to its cap', () => {
    const h = harness(2);
    for (let i = 0; i < 7; i++) {
      h.latest(1).exit({ code: 1, signal: null });
      const forksBefore = h.forks.length;
      const wait = backoffMs(i + 1, defaultRestartPolicy);
      h.advance(wait - 1);
      expect(h.forks).toHaveLength(forksBefore);
      h.advance(1);
      expect(h.forks).toHaveLength(forksBefore + 1);
    }
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, defaultRestartPolicy))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(h.log.at(-1)).toMatch(/process 1 exited with code 1; restarting it in 30 s/);
    expect(h.latest(0).signals).toEqual([]);
  });

  it('resets the backoff after a child ran for a minute', () => {
    const h = harness(1);
    for (const wait of [1_000, 2_000, 4_000]) {
      h.latest(0).exit({ code: null, signal: 'SIGKILL' });
      h.advance(wait);
    }
    expect(h.log.at(-1)).toMatch(/process 0 exited with signal SIGKILL; restarting it in 4 s/);
    h.advance(defaultRestartPolicy.resetAfterMs);
    h.latest(0).exit({ code: 1, signal: null });
    expect(h.log.at(-1)).toMatch(/restarting it in 1 s/);
  });

  it('restarts a child that exited 0 unasked too', () => {
    const h = harness(1);
    h.latest(0).exit({ code: 0, signal: null });
    h.advance(1_000);
    expect(h.forks).toHaveLength(2);
  });

  it('does not restart a configuration mistake: stops the others and exits 2', async () => {
    const h = harness(3);
    h.latest(1).exit({ code: 2, signal: null });
    expect(h.latest(0).signals).toEqual(['SIGTERM']);
    expect(h.latest(2).signals).toEqual(['SIGTERM']);
    h.latest(0).exit({ code: 0, signal: null });
    h.latest(2).exit({ code: 0, signal: null });
    h.advance(60_000);
    expect(h.forks).toHaveLength(3);
    expect(await h.code()).toBe(2);
  });

  it('ends at once when stopped while its only child waits for a restart', async () => {
    const h = harness(1);
    h.latest(0).exit({ code: 1, signal: null });
    expect(h.timers.size).toBe(1);
    h.supervisor.signal('SIGTERM');
    expect(h.timers.size).toBe(0);
    expect(await h.code()).toBe(0);
    h.advance(60_000);
    expect(h.forks).toHaveLength(1);
  });

  it('does not restart what exits after the signal', async () => {
    const h = harness(2);
    h.latest(0).exit({ code: 1, signal: null });
    h.supervisor.signal('SIGTERM');
    h.latest(1).exit({ code: 0, signal: null });
    h.advance(60_000);
    expect(h.forks).toHaveLength(2);
    expect(await h.code()).toBe(0);
  });
});
