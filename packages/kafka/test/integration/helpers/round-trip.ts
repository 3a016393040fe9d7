import type { TaskPusher } from '@tasks/kafka';
import { waitFor } from '@tasks/testing';
import { expect } from 'vitest';
import type { KafkaTestClient } from './kafka-harness.js';
import type { TestWorker } from './worker.js';

export interface RoundTrip {
  readonly pusher: TaskPusher;
  readonly worker: TestWorker;
  readonly client: KafkaTestClient;
  readonly group: string;
  readonly topic: string;
  readonly partitions: number;
  /** How the messages travel, for failure messages ("over SASL"). */
  readonly via: string;
}

/**
 * Pushes 60 keyed messages (task key `work`) and checks the worker ran each
 * exactly once (no rebalance happens here), over every partition, and that
 * the group committed all of them through the same connection.
 */
export async function expectDeliveredOnce(trip: RoundTrip): Promise<void> {
  const { pusher, worker, client, group, topic, partitions, via } = trip;
  const ids = Array.from({ length: 60 }, (_, i) => `m-${i}`);
  await Promise.all(ids.map((id) => pusher.pushTask('work', id, { key: id })));
  await pusher.close();

  await waitFor(() => worker.runs.length >= ids.length, {
    timeoutMs: 30_000,
    message: `all ${ids.length} messages consumed ${via}`,
    describe: () => `${worker.runs.length} runs`,
  });
  expect(worker.runs).toHaveLength(ids.length);
  expect(worker.runs.map((r) => r.value).sort()).toEqual([...ids].sort());
  expect(new Set(worker.runs.map((r) => r.partition)).size).toBe(partitions);
  for (const run of worker.runs) expect(run.key).toBe(run.value);

  await worker.transport.commit();
  const committed = await client.committed(group, topic);
  const total = [...committed.values()].reduce((sum, offset) => sum + Number(offset), 0);
  expect(total).toBe(ids.length);
}
