import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../../..', import.meta.url));

/** A worker process running one of `test/fixtures/*.ts`, as a deployment runs it. */
export interface ChildWorker {
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  /** Resolves once the worker printed `ready` (its server started). */
  readonly ready: Promise<void>;
}

/** Starts `test/fixtures/<fixture>` with `env` on top of this process's. */
export function spawnChildWorker(fixture: string, env: Record<string, string>): ChildWorker {
  const child = spawn(process.execPath, [join(packageDir, 'test/fixtures', fixture)], {
    cwd: packageDir,
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    exited.then((code) =>
      reject(new Error(`worker exited (${code}) before ready: ${stderr.join('')}`)),
    );
  });
  ready.catch(() => {});
  return { child, stderr, exited, ready };
}

/** The lines a worker appended to `file` (none when it does not exist yet). */
export function linesOf(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}
