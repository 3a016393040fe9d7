import { silentLogger, type TaskContext } from '@tasks/core';
import { createDeferred, uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker, type TestWorker } from './helpers/worker.js';

/** Resolves when the run's signal fires (with its reason's name) or `release` resolves. */
function hold(ctx: TaskContext, release: Promise<void>): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (ctx.signal.aborted) return resolve((ctx.signal.reason as Error).name);
    ctx.signal.addEventListener('abort', () => resolve((ctx.signal.reason as Error).name), {
      once: true,
    });
    void release.then(() => resolve(undefined));
  });
}

const ids = (worker: TestWorker) => worker.runs.map((r) => r.value);

describe('revocation on Kafka: a bounded wait, then commit, then release (revokeGraceMs)', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('commits the runs that finish within the grace before the partition moves, and aborts the rest', async () => {
    const topic = uniqueName('revoke');
    const group = uniqueName('revoke-g');
    await suite.client.createTopic(topic, 2);
    // Per partition: a run that finishes only during the revocation wait (key s)
    // and one that never finishes unless aborted (key h): four runs on four
    // processors. Then one more message per partition (key w) that has to wait
    // for a processor: the fetch loop is waiting when the rebalance comes, so a
    // heartbeat of its own sees it, and nothing new may start from there.
    const first = (p: number) => [`slow-${p}`, `hang-${p}`];
    await suite.client.producer.send({
      topic,
      messages: [0, 1].flatMap((p) =>
        first(p).map((value) => ({ key: value.slice(0, 1), value, partition: p })),
      ),
    });
    // Opened once A, having seen the rebalance, waits for its runs before re-joining.
    const draining = createDeferred();
    const logger = {
      ...silentLogger,
      info(line: string) {
        if (line.includes('(revokeGraceMs)')) draining.resolve();
      },
    };
    const release = createDeferred();
    const aborted = new Map<string, string>();
    const a = await startWorker(
      {
        topic,
        group,
        conf: { ordering: 'key', processors: 4 },
        transport: { commitIntervalMs: 60_000, revokeGraceMs: 4_000, logger },
        async work(ctx, _key, value) {
          if (value.startsWith('slow-')) await draining.promise;
          if (value.startsWith('hang-')) {
            const reason = await hold(ctx, release.promise);
            if (reason !== undefined) {
              aborted.set(value, reason);
              throw ctx.signal.reason;
            }
          }
        },
      },
      cleanup,
    );
    cleanup.push(async () => release.resolve());
    cleanup.push(async () => draining.resolve());
    await waitFor(() => a.partitions().length === 2 && ids(a).length === 4, {
      timeoutMs: 30_000,
      message: 'A to own both partitions and run four messages',
      describe: () => `A owns [${a.partitions()}], ran [${ids(a)}]`,
    });
    await suite.client.producer.send({
      topic,
      messages: [0, 1].map((p) => ({ key: 'w', value: `after-${p}`, partition: p })),
    });

    // B joins; A sees the rebalance at a heartbeat, waits for its runs, commits, re-joins.
    const bStarted = startWorker({ topic, group }, cleanup);
    const b = await bStarted;
    await waitFor(() => b.partitions().length === 1 && a.partitions().length === 1, {
      timeoutMs: 30_000,
      message: 'one partition each',
      describe: () => `A [${a.partitions()}], B [${b.partitions()}]`,
    });
    const moved = b.partitions()[0]!;
    const kept = a.partitions()[0]!;
    await waitFor(() => ids(b).includes(`after-${moved}`), {
      timeoutMs: 30_000,
      message: "B to run the moved partition's remaining messages",
      describe: () => `B ran [${ids(b)}]`,
    });
    // The slow run finished within the grace and was committed before the partition moved.
    expect(ids(b)).toEqual([`hang-${moved}`, `after-${moved}`]);
    // The hung run of the moved partition was aborted at the hand-over; the kept one goes on.
    await waitFor(() => aborted.has(`hang-${moved}`), {
      timeoutMs: 10_000,
      message: "the moved partition's hung run to be aborted",
    });
    expect(aborted.get(`hang-${moved}`)).toBe('PartitionRevokedError');
    expect(aborted.has(`hang-${kept}`)).toBe(false);
    release.resolve();
    // No loss: everything ran (the aborted run again on B).
    await waitFor(() => ids(a).includes(`after-${kept}`), {
      timeoutMs: 20_000,
      message: 'A to finish its kept partition',
      describe: () => `A ran [${ids(a)}]`,
    });
    const all = new Set([...ids(a), ...ids(b)]);
    for (const p of [0, 1]) for (const id of [...first(p), `after-${p}`]) expect(all).toContain(id);
  });
});
