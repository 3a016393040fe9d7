import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Admin, Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/kafka/kafka.sh', import.meta.url));

function env(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    throw new Error(
      `${name} is not set: the fault suite's global setup sets it (run it with \`pnpm vitest run --project faults\`)`,
    );
  }
  return value;
}

/** The 3-node cluster the fault suite may kill, from its global setup. */
export const faultBrokers = (): string[] => env('KAFKA_FAULT_BROKERS').split(',');

/** kafka.sh, on the fault cluster's state directory. */
async function kafkaSh(args: string[], extraEnv: Record<string, string> = {}): Promise<void> {
  await run('bash', [script, ...args], {
    env: { ...process.env, ...extraEnv, KAFKA_STATE_DIR: env('KAFKA_FAULT_STATE_DIR') },
    timeout: 180_000,
  });
}

export const killNode = (node: number) => kafkaSh(['stop-node', String(node), '--kill']);
export const startNode = (node: number) => kafkaSh(['start-node', String(node)]);

/**
 * Restarts a cluster whose nodes are all down. The nodes must be launched
 * together: a lone KRaft voter never becomes ready, so `kafka.sh start-node`
 * takes them all at once and waits for the quorum they form.
 */
export const startAllNodes = (nodes: readonly number[]) =>
  kafkaSh(['start-node', ...nodes.map(String)]);

export function newAdmin(): Admin {
  return new Kafka({
    clientId: 'tasks-faults',
    brokers: faultBrokers(),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 2_000 },
  }).admin();
}

/** A topic as the issue tried: replication factor 3, min.insync.replicas=2. */
export async function createDurableTopic(
  admin: Admin,
  topic: string,
  partitions: number,
): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
  });
}

/** The node leading most partitions of `topic`. */
export async function busiestLeader(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const count = new Map<number, number>();
  for (const p of topics[0]!.partitions) count.set(p.leader, (count.get(p.leader) ?? 0) + 1);
  return [...count.entries()].filter(([node]) => node >= 0).sort((a, b) => b[1] - a[1])[0]![0];
}

/** Every record value of `topic`, read from the start up to the high watermarks now. */
export async function readAll(admin: Admin, topic: string): Promise<string[]> {
  const kafka = new Kafka({
    clientId: 'tasks-faults-reader',
    brokers: faultBrokers(),
    logLevel: logLevel.NOTHING,
  });
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map<number, bigint>();
  for (const { partition, high, low } of ends) {
    if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high));
  }
  const values: string[] = [];
  if (remaining.size === 0) return values;
  const consumer = kafka.consumer({ groupId: `faults-reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            values.push(message.value?.toString() ?? '');
            const end = remaining.get(partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) {
              remaining.delete(partition);
              if (remaining.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** Figures each scenario adds; the global teardown prints them as one table. */
export function report(scenario: string, figures: Record<string, string | number>): void {
  const line = JSON.stringify({ scenario, ...figures });
  process.stdout.write(`FAULT-FIGURES ${line}\n`);
  const file = process.env.KAFKA_FAULT_FIGURES;
  if (file) appendFileSync(file, `${line}\n`);
}
