import { spawn } from 'node:child_process';
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

/**
 * Runs the built worker and collects its output. Throws first if any dist is
 * missing or older than its sources (`pnpm test` builds first; `pnpm test:unit` does not).
 */
export function runWorker(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 90_000,
  cwd = workerRoot,
): Promise<WorkerRun> {
  requireFreshBuild(builtPackages);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not exit within ${timeoutMs} ms\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last non-empty stdout line, parsed as JSON. */
export function summaryOf(run: WorkerRun): Record<string, unknown> {
  const last = run.stdout.trim().split('\n').at(-1);
  if (!last) throw new Error(`no stdout; stderr:\n${run.stderr}`);
  return JSON.parse(last) as Record<string, unknown>;
}
