import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { partitions, uniqueName } from '../lib/kafka.ts';
import { Meter, type Rate } from '../lib/meter.ts';

export interface RawRun {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly messages: number;
  /** Simulated I/O per message; 0 does nothing. */
  readonly ioMs: number;
  readonly maxWaitMs: number;
}

const timeoutMs = 300_000;

/**
 * The loop kafkajs's docs recommend for throughput: `eachBatch`, every
 * partition concurrently, offsets resolved per message and committed by
 * kafkajs's auto-commit.
 */
export async function rawEachBatch(run: RawRun): Promise<Rate> {
  const consumer = run.kafka.consumer({
    groupId: uniqueName('bench-each-batch'),
    maxWaitTimeInMs: run.maxWaitMs,
  });
  const meter = new Meter(run.messages);
  await consumer.connect();
  await consumer.subscribe({ topics: [run.topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        if (run.ioMs > 0) await sleep(run.ioMs);
        meter.tick();
        resolveOffset(message.offset);
      }
      await heartbeat();
    },
  });
  try {
    return await meter.rate(timeoutMs);
  } finally {
    await consumer.disconnect();
  }
}

/** The loop most users write: `eachMessage`, every partition concurrently, auto-commit. */
export async function rawEachMessage(run: RawRun): Promise<Rate> {
  const consumer = run.kafka.consumer({
    groupId: uniqueName('bench-each-message'),
    maxWaitTimeInMs: run.maxWaitMs,
  });
  const meter = new Meter(run.messages);
  await consumer.connect();
  await consumer.subscribe({ topics: [run.topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachMessage: async () => {
      if (run.ioMs > 0) await sleep(run.ioMs);
      meter.tick();
    },
  });
  try {
    return await meter.rate(timeoutMs);
  } finally {
    await consumer.disconnect();
  }
}
