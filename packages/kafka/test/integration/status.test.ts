import type { Logger } from '@tasks/core';
import { silentLogger } from '@tasks/core';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker } from './helpers/worker.js';

describe('server.status() and wait logs on Kafka', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('reports the member joined with its partitions, last fetch and commit; logs the join', async () => {
    const topic = uniqueName('status');
    const group = uniqueName('g');
    await suite.client.createTopic(topic, 2);
    const lines: string[] = [];
    const logger: Logger = {
      ...silentLogger,
      info: (msg: string) => void lines.push(msg),
      warn: (msg: string) => void lines.push(msg),
    };
    const before = Date.now();
    const worker = await startWorker(
      { topic, group, transport: { logger }, work: async () => {} },
      cleanup,
    );
    await suite.client.producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    await waitFor(() => worker.runs.length >= 2, { timeoutMs: 30_000 });
    await waitFor(() => worker.server.status().consumers[0]?.lastCommitAt !== undefined, {
      timeoutMs: 30_000,
    });
    const [consumer] = worker.server.status().consumers;
    expect(consumer).toMatchObject({
      group,
      topic,
      joined: true,
      partitions: [0, 1],
      uncommitted: 0,
    });
    expect(consumer!.lastFetchAt).toBeGreaterThanOrEqual(before);
    expect(consumer!.waiting).toBeUndefined();
    expect(lines.some((l) => l.endsWith('joining the group'))).toBe(true);
    expect(lines.some((l) => /done joining the group after \d+ ms/.test(l))).toBe(true);
  });
});
