// `pnpm bench`: the kq consumer (@tasks/kafka + @tasks/core) against a
// hand-written kafkajs loop, in the same run, on the same real broker and the
// same pre-produced topic. Results are ratios (tasks / raw) and are written to
// bench-results/latest.json and latest.md at the repository root.
//
//   pnpm bench            full run
//   pnpm bench --quick    fewer messages (CI)
//   pnpm bench --check    exit 1 when a ratio misses its target
//   pnpm bench --only=io-5ms   one scenario
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { Kafka, logLevel } from 'kafkajs';

interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly messages: number;
  /** Simulated I/O per message (ms); 0 is a task that does nothing. */
  readonly ioMs: number;
  /** tasks/raw throughput the consumer must reach. */
  readonly target: number;
}

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const partitions = 4;
/** Each side runs this many times, alternating; the median counts. */
const rounds = 3;
const processors = 64;
const root = fileURLToPath(new URL('../../../', import.meta.url));

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

const allScenarios: Scenario[] = [
  {
    name: 'io-5ms',
    description: 'each task awaits 5 ms of simulated I/O (a database or HTTP call)',
    messages: quick ? 4_000 : 20_000,
    ioMs: 5,
    target: 3,
  },
  {
    name: 'noop',
    description: 'each task returns at once: the per-message overhead of the runtime',
    messages: quick ? 50_000 : 200_000,
    ioMs: 0,
    target: 0.4,
  },
];
const scenarios = allScenarios.filter((s) => only === undefined || s.name === only);

function brokers(): string[] {
  const configured = process.env.KAFKA_BROKERS?.trim();
  if (configured) return configured.split(',').map((b) => b.trim());
  const script = fileURLToPath(new URL('../../../scripts/kafka/kafka.sh', import.meta.url));
  const out = execFileSync('bash', [script, 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1)!.split(',');
}

const work = (ioMs: number): Promise<void> => (ioMs > 0 ? sleep(ioMs) : Promise.resolve());

async function produce(kafka: Kafka, topic: string, count: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(200, 'x');
  for (let sent = 0; sent < count; sent += 5_000) {
    const n = Math.min(5_000, count - sent);
    await producer.send({
      topic,
      acks: 1,
      messages: Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value })),
    });
  }
  await producer.disconnect();
}

/** Counts messages and measures from the first to the last one. */
class Meter {
  #first = 0;
  #last = 0;
  #count = 0;
  readonly #target: number;
  readonly #done = Promise.withResolvers<void>();

  constructor(target: number) {
    this.#target = target;
  }

  tick(): void {
    const now = performance.now();
    if (this.#count === 0) this.#first = now;
    this.#count += 1;
    this.#last = now;
    if (this.#count === this.#target) this.#done.resolve();
  }

  async wait(timeoutMs: number): Promise<number> {
    const timer = setTimeout(
      () =>
        this.#done.reject(
          new Error(`only ${this.#count}/${this.#target} messages within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    try {
      await this.#done.promise;
    } finally {
      clearTimeout(timer);
    }
    return (this.#count / (this.#last - this.#first)) * 1000;
  }
}

/** The loop a user writes by hand: eachMessage, every partition concurrently, kafkajs auto-commit. */
async function raw(kafka: Kafka, topic: string, scenario: Scenario): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const meter = new Meter(scenario.messages);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachMessage: async () => {
      await work(scenario.ioMs);
      meter.tick();
    },
  });
  try {
    return await meter.wait(300_000);
  } finally {
    await consumer.disconnect();
  }
}

/** The same work through a TaskServer on KafkaTransport. */
async function tasks(brokerList: string[], topic: string, scenario: Scenario): Promise<number> {
  const meter = new Meter(scenario.messages);
  const serverCtx = newTaskServerCtx(
    withTaskRoute({ bench: topic }),
    withKafkaConf({
      brokers: brokerList,
      group: `bench-tasks-${randomUUID()}`,
      topic,
      offset: 'first',
      processors,
      consumers: partitions,
      maxWaitMs: 100,
    }),
    withFuncRegister((factory) =>
      factory.gen('bench', () => ({
        async run() {
          await work(scenario.ioMs);
          meter.tick();
        },
        stop() {},
      })),
    ),
  );
  const server = newTaskServer(serverCtx, {
    transport: new KafkaTransport({ logger: silentLogger }),
    logger: silentLogger,
  });
  await server.start();
  try {
    return await meter.wait(300_000);
  } finally {
    await server.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Result {
  readonly scenario: string;
  readonly description: string;
  readonly messages: number;
  readonly rawPerSecond: number;
  readonly tasksPerSecond: number;
  readonly ratio: number;
  readonly target: number;
  readonly met: boolean;
}

async function main(): Promise<void> {
  const brokerList = brokers();
  const kafka = new Kafka({ clientId: 'bench', brokers: brokerList, logLevel: logLevel.NOTHING });
  const results: Result[] = [];
  for (const scenario of scenarios) {
    const topic = `bench-${scenario.name}-${randomUUID().slice(0, 8)}`;
    process.stderr.write(`${scenario.name}: producing ${scenario.messages} messages to ${topic}\n`);
    await produce(kafka, topic, scenario.messages);
    const rawRuns: number[] = [];
    const tasksRuns: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      rawRuns.push(await raw(kafka, topic, scenario));
      tasksRuns.push(await tasks(brokerList, topic, scenario));
      process.stderr.write(
        `${scenario.name} round ${round}/${rounds}: raw kafkajs ${Math.round(rawRuns.at(-1)!)} msg/s, @tasks ${Math.round(tasksRuns.at(-1)!)} msg/s\n`,
      );
    }
    const rawPerSecond = median(rawRuns);
    const tasksPerSecond = median(tasksRuns);
    const ratio = tasksPerSecond / rawPerSecond;
    results.push({
      scenario: scenario.name,
      description: scenario.description,
      messages: scenario.messages,
      rawPerSecond: Math.round(rawPerSecond),
      tasksPerSecond: Math.round(tasksPerSecond),
      ratio: Math.round(ratio * 100) / 100,
      target: scenario.target,
      met: ratio >= scenario.target,
    });
  }

  const report = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    node: process.version,
    cpus: cpus().length,
    brokers: brokerList,
    partitions,
    processors,
    rounds,
    results,
  };
  const dir = `${root}bench-results`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  const table = [
    '| scenario | messages | raw kafkajs msg/s | @tasks msg/s | ratio | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${r.messages} | ${r.rawPerSecond} | ${r.tasksPerSecond} | ${r.ratio} | >= ${r.target} ${r.met ? 'met' : 'MISSED'} |`,
    ),
  ].join('\n');
  writeFileSync(
    `${dir}/latest.md`,
    `# Benchmark (${report.mode}, ${report.date})\n\nNode ${report.node}, ${report.cpus} CPUs, ${partitions} partitions, processors ${processors}, median of ${rounds} alternating rounds.\n\n${table}\n`,
  );
  process.stdout.write(`${table}\n\nwritten to bench-results/latest.json and latest.md\n`);
  if (args.has('--check') && results.some((r) => !r.met)) process.exitCode = 1;
}

await main();
