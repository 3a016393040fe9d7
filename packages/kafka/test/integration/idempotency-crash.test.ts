import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { linesOf, workerProcessSuite } from './helpers/child-worker.js';
import { brokers } from './helpers/kafka-env.js';

const partitions = 3;
const keys = 60;
const count = 900;
/** k3:0:3 sits on partition 0 at offset 1: the first worker never finishes it. */
const held = '3';

interface Outcome {
  /** Messages whose task body finished more than once. */
  readonly duplicates: number;
  /** Deliveries the idempotency middleware skipped. */
  readonly skipped: number;
  /** Messages never finished. */
  readonly missing: number;
}

describe('idempotency() with a SQLite store shared by worker processes, across a SIGKILL', () => {
  const suite = workerProcessSuite();

  /** Kills a worker mid-stream with finished, uncommitted work behind, then lets a second finish. */
  async function killAndResume(topic: string, values: readonly string[], db?: string) {
    const group = uniqueName('idem-g');
    const dir = mkdtempSync(join(tmpdir(), 'tasks-idem-'));
    const out = join(dir, 'events.txt');
    const env: Record<string, string> = {
      KAFKA_BROKERS: brokers.join(','),
      TOPIC: topic,
      GROUP: group,
      OUT: out,
      ...(db ? { IDEMPOTENCY_DB: join(dir, db) } : {}),
    };
    const finished = () => new Set(linesOf(out).filter((l) => l.startsWith('done ')));
    const first = suite.spawn('order-worker.ts', { ...env, HOLD: held });
    await first.ready;
    await waitFor(
      async () =>
        finished().size >= values.length / 3 &&
        [...(await suite.client.committed(group, topic)).values()].some((o) => Number(o) > 0),
      {
        timeoutMs: 60_000,
        message: 'the first worker mid-stream, with some work committed',
        describe: () => `${finished().size} done; stderr: ${first.stderr.join('')}`,
      },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const second = suite.spawn('order-worker.ts', env);
    await second.ready;
    await waitFor(() => finished().size >= values.length, {
      timeoutMs: 60_000,
      message: 'every message finished',
      describe: () => `${finished().size} done; stderr: ${second.stderr.join('')}`,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const lines = linesOf(out);
    const done = new Map<string, number>();
    for (const line of lines) {
      if (line.startsWith('done ')) done.set(line.slice(5), (done.get(line.slice(5)) ?? 0) + 1);
    }
    return {
      duplicates: [...done.values()].filter((n) => n > 1).length,
      skipped: lines.filter((l) => l.startsWith('skip ')).length,
      missing: values.filter((v) => !done.has(v)).length,
    } satisfies Outcome;
  }

  it('turns the duplicates a SIGKILL causes into skips', async () => {
    const topic = uniqueName('idem');
    await suite.client.createTopic(topic, partitions);
    // Key k<i % 60> always on partition (i % 60) % 3, in seq order.
    const values = Array.from(
      { length: count },
      (_, i) => `k${i % keys}:${Math.floor(i / keys)}:${i}`,
    );
    await suite.client.producer.send({
      topic,
      messages: values.map((value, i) => ({
        key: value.split(':')[0]!,
        value,
        partition: (i % keys) % partitions,
      })),
    });

    const without = await killAndResume(topic, values);
    const withStore = await killAndResume(topic, values, 'idempotency.sqlite');
    console.info(
      `idempotency: without the middleware ${without.duplicates} messages ran twice; with it ${withStore.duplicates}, ${withStore.skipped} redeliveries skipped`,
    );
    // The kill makes duplicates...
    expect(without.missing).toBe(0);
    expect(without.duplicates).toBeGreaterThan(0);
    // ...which the shared store turns into skips: no task body finishes twice.
    expect(withStore.missing).toBe(0);
    expect(withStore.skipped).toBeGreaterThan(0);
    expect(withStore.duplicates).toBe(0);
  });
});
