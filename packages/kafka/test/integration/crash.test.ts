import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName, waitFor } from '@tasks/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, requireKafka } from './helpers/kafka-env.js';
import { KafkaTestClient } from './helpers/kafka-harness.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(packageDir, 'test/fixtures/crash-worker.ts');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The child imports the built packages: fail clearly when they are missing or older than src. */
function requireBuild(): void {
  const dist = join(packageDir, 'dist/index.js');
  const core = join(packageDir, 'node_modules/@tasks/core/dist/index.js');
  for (const file of [dist, core]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  }
  if (statSync(dist).mtimeMs < newestMtime(join(packageDir, 'src'))) {
    throw new Error(
      'packages/kafka/dist is older than src: run `pnpm build` first (`pnpm test` does)',
    );
  }
}

interface Worker {
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  readonly ready: Promise<void>;
}

function spawnWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [fixture], {
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

function processedIds(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('crash safety', () => {
  let client: KafkaTestClient;
  const workers: Worker[] = [];

  beforeAll(async () => {
    await requireKafka();
    requireBuild();
    client = new KafkaTestClient();
    await client.connect();
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await client?.close();
  });

  it('a worker killed with SIGKILL mid-stream loses nothing: every id is processed at least once', async () => {
    const topic = uniqueName('crash');
    const group = uniqueName('crash-g');
    const out = join(mkdtempSync(join(tmpdir(), 'tasks-crash-')), 'processed.txt');
    await client.createTopic(topic, 3);
    const ids = Array.from({ length: 400 }, (_, i) => `id-${i}`);
    await client.producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) });
    const env = { KAFKA_BROKERS: brokers.join(','), TOPIC: topic, GROUP: group, OUT: out };

    const first = spawnWorker(env);
    workers.push(first);
    await first.ready;
    await waitFor(() => processedIds(out).length >= 120, {
      timeoutMs: 30_000,
      message: 'the first worker to be mid-stream',
      describe: () => `${processedIds(out).length} processed; stderr: ${first.stderr.join('')}`,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeRestart = processedIds(out).length;
    expect(beforeRestart).toBeLessThan(ids.length);

    const second = spawnWorker(env);
    workers.push(second);
    await second.ready;
    await waitFor(() => new Set(processedIds(out)).size >= ids.length, {
      timeoutMs: 60_000,
      message: 'every id to be processed',
      describe: () =>
        `${new Set(processedIds(out)).size} distinct; stderr: ${second.stderr.join('')}`,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const processed = processedIds(out);
    const counts = new Map<string, number>();
    for (const id of processed) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    expect([...counts.keys()].every((id) => ids.includes(id))).toBe(true);
    // At least once: the messages in flight or finished-but-uncommitted at the kill ran again.
    const duplicates = processed.length - counts.size;
    expect(duplicates).toBeGreaterThanOrEqual(0);
    console.info(
      `crash test: ${beforeRestart} processed before SIGKILL, ${processed.length} runs in all, ${duplicates} repeated`,
    );
    // The group committed everything once the second worker stopped.
    const committed = await client.committed(group, topic);
    const total = [...committed.values()].reduce((sum, offset) => sum + Number(offset), 0);
    expect(total).toBe(ids.length);
  });
});
