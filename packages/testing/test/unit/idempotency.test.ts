import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ErrorCodes,
  type IdempotencyStore,
  idempotency,
  MemoryIdempotencyStore,
  SqliteIdempotencyStore,
} from '@tasks/core';
import { createTestServer, FakeBroker, scriptedTask, waitFor } from '@tasks/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-idempotency-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Two workers in one group, one after the other, sharing `store`: the first
 * runs every message and crashes before committing, the second gets them
 * all again. Returns what each task ran and what the second skipped.
 */
async function crashThenRedeliver(store: () => IdempotencyStore | Promise<IdempotencyStore>) {
  const broker = new FakeBroker();
  broker.createTopic('jobs', { partitions: 2 });
  const firstTask = scriptedTask();
  const first = createTestServer({
    broker,
    group: 'g',
    tasks: { job: { topic: 'jobs', task: firstTask } },
    transport: { autoCommit: false },
    server: { middleware: [idempotency({ store: await store() })] },
  });
  await first.start();
  for (let i = 0; i < 10; i++) await first.push('job', `m-${i}`, { partition: i % 2 });
  await first.waitForSettled(10);
  await first.transport.crash();
  await first.server.stop();
  expect(broker.committedOffsets('g', 'jobs').size).toBe(0);

  const secondTask = scriptedTask();
  const skipped: string[] = [];
  const second = createTestServer({
    broker,
    group: 'g',
    tasks: { job: { topic: 'jobs', task: secondTask } },
    server: {
      middleware: [
        idempotency({ store: await store(), onSkip: (ctx) => skipped.push(ctx.offset) }),
      ],
    },
  });
  onTestFinished(() => second.stop());
  await second.start();
  await second.waitForSettled(10);
  await waitFor(() => {
    const committed = broker.committedOffsets('g', 'jobs');
    return committed.get(0) === 5 && committed.get(1) === 5;
  });
  return { first: firstTask.calls.length, second: secondTask.calls.length, skipped };
}

describe('idempotency middleware', () => {
  it('turns the redeliveries after a crash into skips (SQLite file, reopened)', async () => {
    const file = join(tempDir(), 'seen.db');
    const opened: SqliteIdempotencyStore[] = [];
    onTestFinished(() => {
      for (const s of opened) s.close();
    });
    // Each worker opens the file itself, as two processes would.
    const result = await crashThenRedeliver(async () => {
      const store = await SqliteIdempotencyStore.open({ path: file });
      opened.push(store);
      return store;
    });
    expect(result).toEqual({ first: 10, second: 0, skipped: expect.any(Array) });
    expect(result.skipped).toHaveLength(10);
  });

  it('runs everything again without a store shared across the crash', async () => {
    const result = await crashThenRedeliver(() => new MemoryIdempotencyStore());
    expect(result).toMatchObject({ first: 10, second: 10, skipped: [] });
  });

  it('records nothing for a failed run, so it is retried and then recorded', async () => {
    const store = new MemoryIdempotencyStore();
    let calls = 0;
    const test = createTestServer({
      tasks: {
        job: {
          topic: 'jobs',
          task: {
            run() {
              calls += 1;
              if (calls === 1) throw new Error('first attempt fails');
            },
            stop() {},
          },
        },
      },
      server: {
        middleware: [idempotency({ store })],
        retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      },
    });
    onTestFinished(() => test.stop());
    await test.start();
    await test.push('job', 'x');
    await test.waitForSettled(1);
    expect(calls).toBe(2);
    expect(test.runs.count('succeeded')).toBe(1);
    expect(store.has(`${test.group}/jobs/0/0`)).toBe(true);
  });

  it('keys by a user function: a message pushed twice with one business id runs once', async () => {
    const task = scriptedTask();
    const test = createTestServer({
      tasks: { job: { topic: 'jobs', task } },
      server: { middleware: [idempotency({ key: (ctx) => `order:${ctx.rawKey?.toString()}` })] },
    });
    onTestFinished(() => test.stop());
    await test.start();
    await test.push('job', 'a', { key: 'o-1' });
    await test.push('job', 'b', { key: 'o-1' });
    await test.push('job', 'c', { key: 'o-2' });
    await test.waitForSettled(3);
    expect(task.calls.map((c) => c.value).sort()).toEqual(['a', 'c']);
  });
});

describe('MemoryIdempotencyStore', () => {
  it('forgets the least recently used key beyond maxKeys', () => {
    const store = new MemoryIdempotencyStore({ maxKeys: 2 });
    store.add('a');
    store.add('b');
    expect(store.has('a')).toBe(true); // a is now the most recent
    store.add('c');
    expect(store.has('b')).toBe(false);
    expect(store.has('a')).toBe(true);
    expect(store.has('c')).toBe(true);
    expect(store.size).toBe(2);
  });

  it('refuses a maxKeys below 1, naming the field', () => {
    expect(() => new MemoryIdempotencyStore({ maxKeys: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.ConfigInvalid }),
    );
  });
});

describe('SqliteIdempotencyStore', () => {
  it('keeps keys in the file across close and reopen, and prunes old ones', async () => {
    const file = join(tempDir(), 'keys.db');
    const store = await SqliteIdempotencyStore.open({ path: file, table: 'seen' });
    store.add('k1');
    expect(store.has('k1')).toBe(true);
    expect(store.has('k2')).toBe(false);
    store.close();
    const again = await SqliteIdempotencyStore.open({ path: file, table: 'seen' });
    onTestFinished(() => again.close());
    expect(again.has('k1')).toBe(true);
    expect(again.prune(60_000)).toBe(0);
    expect(again.prune(-1)).toBe(1);
    expect(again.has('k1')).toBe(false);
  });

  it('refuses a table name that is not a plain identifier', async () => {
    await expect(
      SqliteIdempotencyStore.open({ path: ':memory:', table: 'x; DROP TABLE y' }),
    ).rejects.toMatchObject({
      code: ErrorCodes.ConfigInvalid,
      problems: [expect.objectContaining({ path: 'idempotency.sqlite.table' })],
    });
  });
});
