import { setTimeout as sleep } from 'node:timers/promises';
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport, TaskPusher } from '@tasks/kafka';
import { BenchError } from '../lib/bench-error.ts';
import { createTopic, kafkaClient, uniqueName } from '../lib/kafka.ts';
import type { ScenarioResult } from '../lib/result.ts';
import { percentile, round } from '../lib/stats.ts';

const now = () => performance.timeOrigin + performance.now();
const settings = { processors: 64, consumers: 4, maxWaitMs: 100, minBytes: 1 } as const;

/**
 * End to end: a TaskPusher sends at a steady rate, each value carrying the
 * time it was pushed; the task notes when its run started. The stream starts
 * once a warm-up message has gone all the way through (the group joined).
 */
export async function latency(
  brokers: readonly string[],
  rate: number,
  durationMs: number,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const kafka = kafkaClient(brokers);
  const topic = uniqueName('bench-latency');
  await createTopic(kafka, topic);
  const samples: number[] = [];
  let warmedUp = false;
  const server = newTaskServer(
    newTaskServerCtx(
      withTaskRoute({ bench: topic }),
      withKafkaConf({
        brokers: [...brokers],
        group: uniqueName('bench-latency'),
        topic,
        // The bench topics have no dead-letter topic (no task fails here).
        deadLetter: { enabled: false },
        ...settings,
      }),
      withFuncRegister((factory) =>
        factory.gen('bench', () => ({
          run: async (_ctx, _key, value) => {
            const started = now();
            if (value === 'warm-up') warmedUp = true;
            else samples.push(started - Number(value));
          },
          stop() {},
        })),
      ),
    ),
    { transport: new KafkaTransport({ logger: silentLogger }), logger: silentLogger },
  );
  const pusher = new TaskPusher({ brokers, route: { bench: topic }, logger: silentLogger });
  await server.start();
  try {
    const deadline = Date.now() + 60_000;
    while (!warmedUp) {
      if (Date.now() > deadline) throw new BenchError('latency: the consumer never joined');
      await pusher.pushTask('bench', 'warm-up');
      await sleep(100);
    }
    const total = Math.round((rate * durationMs) / 1000);
    const interval = 1000 / rate;
    const start = performance.now();
    const pushes: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      pushes.push(pusher.pushTask('bench', String(now())));
    }
    await Promise.all(pushes);
    const end = Date.now() + 30_000;
    while (samples.length < total) {
      if (Date.now() > end)
        throw new BenchError(`latency: ${samples.length}/${total} runs started`);
      await sleep(20);
    }
  } finally {
    await pusher.close();
    await server.stop();
  }
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  const max = Math.max(...samples);
  log(`latency: p50 ${round(p50, 1)} ms, p99 ${round(p99, 1)} ms, max ${round(max, 1)} ms`);
  return {
    scenario: 'latency',
    description: 'push -> run start, end to end, at a steady rate',
    settings: { rate, durationMs, messages: samples.length, ...settings, pusher: 'defaults' },
    figures: [
      { label: 'push -> run start p50', value: round(p50, 1), unit: 'ms' },
      { label: 'push -> run start p99', value: round(p99, 1), unit: 'ms' },
      { label: 'push -> run start max', value: round(max, 1), unit: 'ms' },
    ],
    targets: [],
  };
}
