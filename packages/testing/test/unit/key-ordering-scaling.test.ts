import { setTimeout as delay } from 'node:timers/promises';
import type { TaskContext } from '@tasks/core';
import { createTestServer } from '@tasks/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

const total = 400;
const keys = 100;

/**
 * One partition, `total` messages over `keys` keys, each task awaiting 0-5 ms
 * of "I/O": how long the server takes to settle them all, and whether any
 * key ever ran out of offset order or twice at once.
 */
async function run(processors: number) {
  const started = new Map<string, number[]>();
  const running = new Set<string>();
  let overlap = false;
  const test = createTestServer({
    tasks: {
      job: {
        topic: 'jobs',
        partitions: 1,
        task: {
          async run(ctx: TaskContext, key: string) {
            if (running.has(key)) overlap = true;
            running.add(key);
            const list = started.get(key) ?? [];
            started.set(key, list);
            list.push(Number(ctx.offset));
            await delay(Number(ctx.offset) % 6);
            running.delete(key);
          },
          stop() {},
        },
      },
    },
    conf: { processors, ordering: 'key' },
  });
  onTestFinished(() => test.stop());
  for (let i = 0; i < total; i++) await test.push('job', `m-${i}`, { key: `k-${i % keys}` });
  const t0 = performance.now();
  await test.start();
  await test.waitForSettled(total, { timeoutMs: 60_000 });
  const ms = performance.now() - t0;
  const inOrder = [...started.values()].every((offsets) =>
    offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!),
  );
  return { ms, overlap, inOrder, keysSeen: started.size };
}

describe("ordering 'key' on one partition", () => {
  it('scales an I/O-bound workload with processors, never breaking per-key order', async () => {
    const serial = await run(1);
    const wide = await run(64);
    for (const result of [serial, wide]) {
      expect(result).toMatchObject({ overlap: false, inOrder: true, keysSeen: keys });
    }
    // Ideal speed-up is far above 5 on one partition (100 keys, 4 messages each);
    // 5 leaves room for a loaded machine.
    expect(wide.ms * 5).toBeLessThan(serial.ms);
  });
});
