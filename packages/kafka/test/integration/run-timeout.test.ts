import {
  newTaskServer,
  newTaskServerCtx,
  type RunEvent,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { brokers } from './helpers/kafka-env.js';
import { testTransportOptions } from './helpers/kafka-harness.js';
import { kafkaSuite } from './helpers/kafka-suite.js';

describe('a run far past its timeout, on Kafka', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('is aborted with RunTimeoutError, counts as a failed attempt and is retried; its offset is committed once it succeeds', async () => {
    const topic = uniqueName('timeout');
    const group = uniqueName('timeout-g');
    await suite.client.createTopic(topic, 1);
    const attempts: Array<{ value: string; attempt: number; reason?: string }> = [];
    const events: RunEvent[] = [];
    const ctx = newTaskServerCtx(
      withTaskRoute({ work: topic }),
      withKafkaConf({
        brokers: [...brokers],
        group,
        topic,
        offset: 'first',
        minBytes: 1,
        maxWaitMs: 200,
        taskTimeoutMs: 300,
        // the retried run succeeds; nothing is dead-lettered
        deadLetter: { enabled: false },
      }),
      withFuncRegister((factory) =>
        factory.gen('work', () => ({
          async run(runCtx, _key, value) {
            const seen: { value: string; attempt: number; reason?: string } = {
              value,
              attempt: runCtx.attempt,
            };
            attempts.push(seen);
            if (value === 'slow' && runCtx.attempt === 1) {
              // Ignores the signal and would go on for a minute: the timeout must cut it short.
              runCtx.signal.addEventListener('abort', () => {
                seen.reason = (runCtx.signal.reason as Error).name;
              });
              await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
            }
          },
          stop() {},
        })),
      ),
    );
    const server = newTaskServer(ctx, {
      transport: new KafkaTransport({ ...testTransportOptions }),
      logger: silentLogger,
      retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 10 },
      shutdownTimeoutMs: 5_000,
    });
    server.onRun((event) => events.push(event));
    cleanup.push(() => server.stop());
    await server.start();
    const started = Date.now();
    await suite.client.producer.send({
      topic,
      messages: [{ value: 'slow' }, { value: 'next' }],
    });
    await waitFor(
      () => events.some((e) => e.outcome === 'succeeded' && e.message.value?.toString() === 'slow'),
      { timeoutMs: 20_000, message: 'the slow message to succeed on a later attempt' },
    );
    // Well before the minute the first attempt would have taken.
    expect(Date.now() - started).toBeLessThan(30_000);
    const slow = attempts.filter((a) => a.value === 'slow');
    expect(slow.map((a) => a.attempt)).toEqual([1, 2]);
    expect(slow[0]?.reason).toBe('RunTimeoutError');
    const outcomes = events
      .filter((e) => e.message.value?.toString() === 'slow')
      .map((e) => `${e.outcome}@${e.attempt}`);
    expect(outcomes).toEqual(['retrying@1', 'succeeded@2']);
    const failure = events.find((e) => e.outcome === 'retrying');
    expect(failure?.error?.name).toBe('RunTimeoutError');
    await waitFor(async () => (await suite.client.committed(group, topic)).get(0) === '2', {
      timeoutMs: 15_000,
      message: 'both offsets committed',
    });
  });
});
