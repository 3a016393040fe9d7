import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireFreshBuild } from '../../../tooling/vitest/require-build.js';

export const workerRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface WorkerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the built worker runs: its own dist and the dists of the packages it imports. */
const builtPackages = [
  'packages/core',
  'packages/kafka',
  'packages/otel',
  'packages/testing',
  'apps/worker',
];

/** A built worker that runs while the test watches it. */
export interface StartedWorker {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<WorkerRun>;
  /** Resolves once `test` holds for the stderr so far; rejects past `timeoutMs` or at exit. */
  waitForStderr(test: (stderr: string) => boolean, timeoutMs: number): Promise<void>;
}

/**
 * Starts the built worker and collects its output. Throws first if any dist is
 * missing or older than its sources (`pnpm test` builds first; `pnpm test:unit` does not).
 */
export function startWorker(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  cwd = workerRoot,
): StartedWorker {
  requireFreshBuild(builtPackages);
  const child = spawn(process.execPath, [entry, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
    for (const watch of [...watchers]) watch();
  });
  const exited = new Promise<WorkerRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
  const waitForStderr = (test: (stderr: string) => boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        watchers.delete(watch);
      };
      const watch = () => {
        if (!test(output.stderr)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`condition not met within ${timeoutMs} ms\nstderr:\n${output.stderr}`));
      }, timeoutMs);
      watchers.add(watch);
      exited.then(() => {
        if (!watchers.has(watch)) return;
        done();
        reject(new Error(`worker exited first\nstderr:\n${output.stderr}`));
      }, reject);
      watch();
    });
  return { child, output, exited, waitForStderr };
}

/** Runs the built worker to its end; SIGKILLs it past `timeoutMs`. */
export function runWorker(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 90_000,
  cwd = workerRoot,
): Promise<WorkerRun> {
  const worker = startWorker(args, env, cwd);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.child.kill('SIGKILL');
      reject(
        new Error(`worker did not exit within ${timeoutMs} ms\nstderr:\n${worker.output.stderr}`),
      );
    }, timeoutMs);
    worker.exited.then(
      (run) => {
        clearTimeout(timer);
        resolve(run);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The last non-empty stdout line, parsed as JSON. */
export function summaryOf(run: WorkerRun): Record<string, unknown> {
  const last = run.stdout.trim().split('\n').at(-1);
  if (!last) throw new Error(`no stdout; stderr:\n${run.stderr}`);
  return JSON.parse(last) as Record<string, unknown>;
}
