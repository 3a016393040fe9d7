import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';
import { requireFreshBuild } from '../../../../../tooling/vitest/require-build.js';
import { type KafkaSuite, kafkaSuite } from './kafka-suite.js';

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

export interface WorkerProcessSuite extends KafkaSuite {
  /** Starts `test/fixtures/<fixture>`; it is killed (SIGKILL) after the test if it still runs. */
  spawn(fixture: string, env: Record<string, string>): ChildWorker;
}

/**
 * `kafkaSuite()` for tests that run workers as processes: those import the
 * built packages, so a stale `dist` fails the file before the first test.
 */
export function workerProcessSuite(): WorkerProcessSuite {
  const suite = kafkaSuite();
  beforeAll(() => requireFreshBuild(['packages/core', 'packages/kafka']));
  return {
    cleanup: suite.cleanup,
    get client() {
      return suite.client;
    },
    spawn(fixture, env) {
      const worker = spawnChildWorker(fixture, env);
      suite.cleanup.push(async () => {
        if (worker.child.exitCode === null && worker.child.signalCode === null) {
          worker.child.kill('SIGKILL');
          await worker.exited;
        }
      });
      return worker;
    },
  };
}
