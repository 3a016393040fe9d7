import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/** Records of the pre-produced topics: 200-byte values, keyed. */
export const recordBytes = 200;
export const partitions = 4;

export function kafkaClient(brokers: readonly string[]): Kafka {
  return new Kafka({ clientId: 'bench', brokers: [...brokers], logLevel: logLevel.NOTHING });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Creates `topic` and fills it with `count` records of `recordBytes`, in batches of 10,000. */
export async function produceBacklog(kafka: Kafka, topic: string, count: number): Promise<void> {
  await createTopic(kafka, topic);
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(recordBytes, 'x');
  try {
    const sends: Promise<unknown>[] = [];
    for (let sent = 0; sent < count; sent += 10_000) {
      const n = Math.min(10_000, count - sent);
      sends.push(
        producer.send({
          topic,
          acks: 1,
          messages: Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value })),
        }),
      );
      if (sends.length >= 4) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
}
