import { ErrorCodes, type TransportError } from '@tasks/core';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { CrashableSockets } from './helpers/crashable-sockets.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker } from './helpers/worker.js';

describe('losing the brokers while running', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('reports ConnectionFailed, reconnects with backoff when the network is back, and loses nothing', async () => {
    const topic = uniqueName('reconnect');
    const group = uniqueName('g');
    await suite.client.createTopic(topic, 2);
    const network = new CrashableSockets();
    const worker = await startWorker(
      { topic, group, transport: { socketFactory: network.factory } },
      cleanup,
    );
    await suite.client.producer.send({ topic, messages: [{ value: 'before' }] });
    await waitFor(() => worker.runs.length === 1, { timeoutMs: 20_000, message: 'the first run' });

    network.kill();
    await suite.client.producer.send({
      topic,
      messages: [{ value: 'during-1' }, { value: 'during-2' }],
    });
    await waitFor(
      () =>
        worker.events.some(
          (e) =>
            e.type === 'error' && (e.error as TransportError).code === ErrorCodes.ConnectionFailed,
        ),
      { timeoutMs: 20_000, message: 'a ConnectionFailed error event' },
    );
    expect(worker.events.some((e) => e.type === 'revoked')).toBe(true);

    network.heal();
    await suite.client.producer.send({ topic, messages: [{ value: 'after' }] });
    await waitFor(() => new Set(worker.runs.map((r) => r.value)).size === 4, {
      timeoutMs: 30_000,
      message: 'every message, once the transport reconnected',
      describe: () => `runs [${worker.runs.map((r) => r.value)}]`,
    });
    expect(new Set(worker.runs.map((r) => r.value))).toEqual(
      new Set(['before', 'during-1', 'during-2', 'after']),
    );
    await worker.stop();
    const committed = await suite.client.committed(group, topic);
    expect([...committed.values()].reduce((sum, o) => sum + Number(o), 0)).toBe(4);
  });
});
