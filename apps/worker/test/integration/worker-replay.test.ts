import { randomUUID } from 'node:crypto';
import {
  DeadLetterHeaders,
  type MessageHeaders,
  newTaskServer,
  newTaskServerCtx,
  replayCountHeader,
  silentLogger,
  type TaskServer,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaPusher, KafkaTransport } from '@tasks/kafka';
import { waitFor } from '@tasks/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runWorker } from '../support.js';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const createTopics = { partitions: 1, replicationFactor: 1 };

/** A dead letter as a task server writes it. */
function letter(topic: string, id: string, task: string, error: string, lastFailure: string) {
  return {
    value: id,
    key: `key-${id}`,
    headers: {
      'x-id': id,
      [DeadLetterHeaders.topic]: topic,
      [DeadLetterHeaders.partition]: '0',
      [DeadLetterHeaders.offset]: '0',
      [DeadLetterHeaders.key]: `key-${id}`,
      [DeadLetterHeaders.task]: task,
      [DeadLetterHeaders.errorName]: error,
      [DeadLetterHeaders.errorMessage]: 'boom',
      [DeadLetterHeaders.attempts]: '3',
      [DeadLetterHeaders.firstFailure]: lastFailure,
      [DeadLetterHeaders.lastFailure]: lastFailure,
    },
  };
}

describe('the built worker: replay on Kafka', () => {
  it('prints what a dry run would send and sends nothing; then sends what the filters match, with the replay count', async () => {
    const topic = `replay-orders-${randomUUID().slice(0, 8)}`;
    const dlq = `${topic}.dlq`;
    const pusher = new KafkaPusher({
      brokers: brokers.split(','),
      topic: dlq,
      createTopics,
      logger: silentLogger,
    });
    for (const l of [
      letter(topic, 'a', 'order', 'TypeError', '2026-12-01T10:00:00.000Z'),
      letter(topic, 'b', 'payment', 'NonRetriableError', '2026-12-01T11:00:00.000Z'),
      letter(topic, 'c', 'order', 'NonRetriableError', '2026-12-01T12:00:00.000Z'),
    ]) {
      await pusher.push(l.value, { key: l.key, headers: l.headers });
    }
    await pusher.close();

    // A consumer of the original topic (created here): what reaches it is what the replay sent.
    const seen: Array<{ key: string; value: string; headers: MessageHeaders }> = [];
    const server: TaskServer = newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ order: topic }),
        withKafkaConf({
          brokers: brokers.split(','),
          group: `replay-check-${randomUUID().slice(0, 8)}`,
          topic,
          offset: 'first',
          deadLetter: { enabled: false },
        }),
        withFuncRegister((f) =>
          f.gen('order', () => ({
            run: (ctx, key, value) => void seen.push({ key, value, headers: ctx.headers }),
            stop() {},
          })),
        ),
      ),
      {
        transport: new KafkaTransport({ createTopics, logger: silentLogger }),
        logger: silentLogger,
      },
    );
    onTestFinished(() => server.stop());
    await server.start();

    const dry = await runWorker(['replay', dlq, '--dry-run'], { KAFKA_BROKERS: brokers });
    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.slice(0, -1).map((l) => [l.to.topic, l.to.key, l.sent, l.replayCount])).toEqual([
      [topic, 'key-a', false, 1],
      [topic, 'key-b', false, 1],
      [topic, 'key-c', false, 1],
    ]);
    expect(lines.at(-1).summary).toMatchObject({ dryRun: true, scanned: 3, matched: 3, sent: 0 });

    const run = await runWorker(
      [
        'replay',
        dlq,
        '--task',
        'order',
        '--error',
        'NonRetriableError',
        '--since',
        '2026-12-01T11:30:00Z',
      ],
      { KAFKA_BROKERS: brokers },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!).summary).toMatchObject({
      scanned: 3,
      matched: 1,
      sent: 1,
    });

    // Only c (the dry run sent nothing), as it was, counted once.
    await waitFor(() => seen.length >= 1, { timeoutMs: 30_000 });
    await server.stop();
    expect(seen.map((m) => [m.value, m.key, m.headers['x-id']?.toString()])).toEqual([
      ['c', 'key-c', 'c'],
    ]);
    expect(seen[0]!.headers[replayCountHeader]?.toString()).toBe('1');
    expect(Object.keys(seen[0]!.headers).filter((h) => h.startsWith('tasks.dlq.'))).toEqual([]);
  });

  it('exits 2 naming the topic when it does not exist', async () => {
    const missing = `replay-missing-${randomUUID().slice(0, 8)}.dlq`;
    const run = await runWorker(['replay', missing], { KAFKA_BROKERS: brokers });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`cannot replay "${missing}"`);
  });
});
