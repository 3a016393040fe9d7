import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@tasks/testing';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { requireFreshBuild } from '../../../../tooling/vitest/require-build.js';
import { createDurableTopic, newAdmin } from './cluster.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(packageDir, 'test/faults/fault-worker.ts');

export interface FaultWorker {
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly stdout: string[];
  readonly exited: Promise<number | null>;
  readonly ready: Promise<void>;
}

export function spawnWorker(env: Record<string, string>): FaultWorker {
  const child = spawn(process.execPath, [fixture], {
    cwd: packageDir,
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk.toString());
      if (chunk.toString().includes('ready')) resolve();
    });
    exited.then((code) =>
      reject(new Error(`worker exited (${code}) before ready: ${stderr.join('')}`)),
    );
  });
  ready.catch(() => {});
  return { child, stderr, stdout, exited, ready };
}

export interface Record_ {
  readonly at: number;
  readonly partition: number;
  readonly id: string;
}

export function records(file: string): Record_[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, partition, id] = line.split(' ');
      return { at: Number(at), partition: Number(partition), id: id! };
    });
}

/** Ids recorded more than once, counted once per extra run. */
export function duplicates(list: readonly Record_[]): number {
  return list.length - new Set(list.map((r) => r.id)).size;
}

/** The longest gap between consecutive records, and where it started. */
export function longestGap(list: readonly Record_[]): { ms: number; from: number } {
  const times = list.map((r) => r.at).sort((a, b) => a - b);
  let best = { ms: 0, from: times[0] ?? 0 };
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > best.ms) best = { ms: gap, from: times[i - 1]! };
  }
  return best;
}

/** The JSON log lines a worker wrote to stderr. */
export function logLines(worker: FaultWorker): Array<{ time: string; level: string; msg: string }> {
  return worker.stderr
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { time: string; level: string; msg: string }];
      } catch {
        return [];
      }
    });
}

export interface FaultSuite {
  /** An admin client on the fault cluster, connected before the first test. */
  readonly admin: Admin;
  /** A topic made for the file (8 partitions, replication 3, min ISR 2), deleted after it. */
  readonly topic: string;
  /** Starts a fault worker (it imports the built packages); each one is SIGKILLed after the file. */
  spawn(env: Record<string, string>): FaultWorker;
}

/**
 * The hooks each fault scenario needs. `beforeTeardown` runs after the
 * workers are killed and before the topic is deleted (the outage restarts
 * the cluster there).
 */
export function faultSuite(
  name: string,
  options: { beforeTeardown?: () => Promise<void> } = {},
): FaultSuite {
  const topic = uniqueName(name);
  const workers: FaultWorker[] = [];
  let admin: Admin | undefined;
  beforeAll(async () => {
    requireFreshBuild(['packages/core', 'packages/kafka']);
    admin = newAdmin();
    await admin.connect();
    await createDurableTopic(admin, topic, 8);
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await options.beforeTeardown?.();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect();
  });
  return {
    topic,
    get admin() {
      if (!admin) throw new Error('faultSuite(): the admin exists only inside tests');
      return admin;
    },
    spawn(env) {
      const worker = spawnWorker(env);
      workers.push(worker);
      return worker;
    },
  };
}
