import { silentLogger } from '@tasks/core';
import { kafkaPusherDefaults, TaskPusher } from '@tasks/kafka';
import { createTopic, kafkaClient, recordBytes, uniqueName } from '../lib/kafka.ts';
import { fromSpread, type ScenarioResult, target } from '../lib/result.ts';
import { alternate } from '../lib/rounds.ts';
import { percentile, round, spread } from '../lib/stats.ts';

export interface PusherContext {
  readonly brokers: readonly string[];
  readonly rounds: number;
  readonly log: (line: string) => void;
}

/** Raw kafkajs: `producer.send` of 5,000-record batches, one after the other, acks -1. */
const rawBatch = 5_000;

/**
 * The pusher under load (every push started at once, all awaited) against
 * raw `producer.send` batches; then the latency of one awaited `pushTask`
 * at a time, which the linger bounds.
 */
export async function pusher(
  ctx: PusherContext,
  messages: number,
  singles: number,
): Promise<ScenarioResult> {
  const kafka = kafkaClient(ctx.brokers);
  const topic = uniqueName('bench-push');
  await createTopic(kafka, topic);
  const value = Buffer.alloc(recordBytes, 'x');

  const raw = async () => {
    const producer = kafka.producer();
    await producer.connect();
    try {
      const started = performance.now();
      for (let sent = 0; sent < messages; sent += rawBatch) {
        const n = Math.min(rawBatch, messages - sent);
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value })),
        });
      }
      return (messages / (performance.now() - started)) * 1000;
    } finally {
      await producer.disconnect();
    }
  };
  const tasks = async () => {
    const p = new TaskPusher({
      brokers: ctx.brokers,
      route: { bench: topic },
      logger: silentLogger,
    });
    try {
      await p.pushTask('bench', value, { key: 'warm-up' });
      const started = performance.now();
      const pushes: Promise<void>[] = new Array(messages);
      for (let i = 0; i < messages; i++) pushes[i] = p.pushTask('bench', value, { key: `k${i}` });
      await Promise.all(pushes);
      return (messages / (performance.now() - started)) * 1000;
    } finally {
      await p.close();
    }
  };
  const r = await alternate(
    'pusher',
    ctx.rounds,
    [
      { name: 'raw', run: raw },
      { name: 'tasks', run: tasks },
    ],
    ctx.log,
  );

  const rawLatencies: number[] = [];
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'warm-up', value }] });
    for (let i = 0; i < singles; i++) {
      const started = performance.now();
      await producer.send({ topic, acks: -1, messages: [{ key: `raw-${i}`, value }] });
      rawLatencies.push(performance.now() - started);
    }
  } finally {
    await producer.disconnect();
  }
  const p = new TaskPusher({ brokers: ctx.brokers, route: { bench: topic }, logger: silentLogger });
  const latencies: number[] = [];
  try {
    await p.pushTask('bench', value, { key: 'warm-up' });
    for (let i = 0; i < singles; i++) {
      const started = performance.now();
      await p.pushTask('bench', value, { key: `single-${i}` });
      latencies.push(performance.now() - started);
    }
  } finally {
    await p.close();
  }
  const p50 = percentile(latencies, 50);
  const single = spread(latencies);
  ctx.log(`pusher: awaited single push p50 ${round(p50, 2)} ms over ${singles} pushes`);
  return {
    scenario: 'pusher',
    description: 'TaskPusher msgs/s under load vs raw producer.send batches; one awaited pushTask',
    settings: {
      messages,
      recordBytes,
      rawBatch,
      acks: -1,
      singlePushes: singles,
      linger: `pusher default (flushIntervalMs ${kafkaPusherDefaults.flushIntervalMs})`,
    },
    figures: [
      fromSpread(`raw producer.send, ${rawBatch}-record batches`, r.wall('raw')),
      fromSpread('TaskPusher, every push at once', r.wall('tasks')),
      {
        label: 'awaited single raw producer.send p50 (the floor)',
        value: round(percentile(rawLatencies, 50), 2),
        unit: 'ms',
      },
      { label: 'awaited single pushTask p50', value: round(p50, 2), unit: 'ms' },
      {
        label: 'awaited single pushTask p99',
        value: round(percentile(latencies, 99), 2),
        unit: 'ms',
      },
      { label: 'awaited single pushTask max', value: round(single.max, 2), unit: 'ms' },
    ],
    targets: [
      target('push-latency-p50', 'awaited single pushTask p50 (ms)', p50, '<=', 10),
      target(
        'push-throughput',
        'TaskPusher / raw producer.send batches (batching kept under load)',
        r.ratio('tasks', 'raw', 'wall'),
        '>=',
        0.5,
      ),
    ],
  };
}
