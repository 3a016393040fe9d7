import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker } from './helpers/worker.js';

describe('long-running tasks', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('a run longer than sessionTimeout, with the fetch loop blocked behind it, causes no rebalance and no redelivery', async () => {
    const sessionTimeoutMs = 6_000;
    const topic = uniqueName('long');
    const group = uniqueName('g');
    await suite.client.createTopic(topic, 1);
    const worker = await startWorker(
      {
        topic,
        group,
        // One processor: the messages behind the long one block the batch (backpressure).
        conf: { processors: 1 },
        transport: { sessionTimeoutMs, heartbeatIntervalMs: 1_000 },
        // The task's own work takes 1.5 session timeouts.
        work: async (ctx, _key, value) => {
          if (value === 'long')
            await sleep(sessionTimeoutMs * 1.5, undefined, { signal: ctx.signal });
        },
      },
      cleanup,
    );
    await suite.client.producer.send({
      topic,
      messages: [{ value: 'long' }, { value: 'next-1' }, { value: 'next-2' }],
    });
    await waitFor(() => worker.runs.length >= 3, {
      timeoutMs: 30_000,
      message: 'all three runs',
      describe: () => `runs [${worker.runs.map((r) => r.value)}]`,
    });
    await worker.transport.commit();

    expect(worker.runs.map((r) => `${r.value}@${r.offset}#${r.attempt}`)).toEqual([
      'long@0#1',
      'next-1@1#1',
      'next-2@2#1',
    ]);
    expect(worker.events.filter((e) => e.type === 'revoked')).toEqual([]);
    expect(worker.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(worker.events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    expect((await suite.client.committed(group, topic)).get(0)).toBe('3');
    const [description] = (await suite.client.admin.describeGroups([group])).groups;
    expect(description?.members).toHaveLength(1);
  });
});
