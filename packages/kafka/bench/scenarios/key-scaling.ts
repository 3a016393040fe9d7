import { setTimeout as sleep } from 'node:timers/promises';
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { BenchError } from '../lib/bench-error.ts';
import { kafkaClient, uniqueName } from '../lib/kafka.ts';
import { type Figure, type ScenarioResult, target } from '../lib/result.ts';
import { median, round } from '../lib/stats.ts';

/** The shape: 10,000 messages, 1,000 keys, one partition, tasks awaiting 0-5 ms. */
export interface KeyScalingSize {
  readonly messages: number;
  readonly keys: number;
  /** Rounds per processors level (the median is shown); processors 1 always runs once. */
  readonly rounds: number;
  /** The processors levels to run (the quick run leaves out 1: 25 s of sleeping in a row). */
  readonly levels: readonly number[];
}

export const processorLevels = [1, 16, 64, 256] as const;

/** The processors level the target is checked at, and its bound (x ideal). */
const targetProcessors = 64;
const targetBound = 1.25;

/** A 32-bit integer hash (Murmur3's finaliser) of `n`, scaled to [0, 1). */
function unit(n: number): number {
  let h = n + 0x9e3779b9;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** A deterministic "random" delay in [0, 5) ms per message id: every level does the same work. */
export function delayOf(id: number): number {
  return unit(id) * 5;
}

/** A deterministic "random" key per message id: same-key messages land close enough to wait on each other. */
function keyOf(id: number, keys: number): string {
  return `k${Math.floor(unit(-1 - id) * keys)}`;
}

async function produce(
  brokers: readonly string[],
  topic: string,
  size: KeyScalingSize,
): Promise<void> {
  const kafka = kafkaClient(brokers);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let sent = 0; sent < size.messages; sent += 5_000) {
      const n = Math.min(5_000, size.messages - sent);
      await producer.send({
        topic,
        acks: 1,
        messages: Array.from({ length: n }, (_, i) => {
          const id = sent + i;
          return { key: keyOf(id, size.keys), value: String(id) };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

interface LevelRun {
  /** From the first run's start to the last run's end. */
  readonly elapsedMs: number;
  /** CPU time this process spent meanwhile (all threads). */
  readonly cpuMs: number;
  /** Runs that started while their key's previous run was going, or before an earlier one (must be 0). */
  readonly orderViolations: number;
}

/** One `TaskServer` with `ordering: key` and `processors` over the whole topic, timed. */
async function runLevel(
  brokers: readonly string[],
  topic: string,
  size: KeyScalingSize,
  processors: number,
): Promise<LevelRun> {
  const lastStarted = new Map<string, number>();
  const busy = new Set<string>();
  const seen = new Uint8Array(size.messages);
  let distinct = 0;
  let orderViolations = 0;
  let first = 0;
  let last = 0;
  let cpuFirst: NodeJS.CpuUsage | undefined;
  let cpuMs = 0;
  const done = Promise.withResolvers<void>();
  const serverCtx = newTaskServerCtx(
    withTaskRoute({ scaling: topic }),
    withKafkaConf({
      brokers: [...brokers],
      group: uniqueName('bench-key-scaling'),
      topic,
      offset: 'first',
      ordering: 'key',
      processors,
      consumers: 1,
      maxWaitMs: 100,
      deadLetter: { enabled: false },
    }),
    withFuncRegister((factory) =>
      factory.gen('scaling', () => ({
        async run(_ctx, key, value) {
          const id = Number(value);
          if (first === 0) {
            first = performance.now();
            cpuFirst = process.cpuUsage();
          }
          // A key's runs never overlap, and start in offset (= id) order.
          if (busy.has(key) || (lastStarted.get(key) ?? -1) > id) orderViolations += 1;
          busy.add(key);
          lastStarted.set(key, Math.max(lastStarted.get(key) ?? -1, id));
          await sleep(delayOf(id));
          busy.delete(key);
          if (seen[id] === 0) {
            seen[id] = 1;
            distinct += 1;
            last = performance.now();
            if (distinct === size.messages) {
              const cpu = process.cpuUsage(cpuFirst);
              cpuMs = (cpu.user + cpu.system) / 1000;
              done.resolve();
            }
          }
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
  const timer = setTimeout(
    () =>
      done.reject(
        new BenchError(`key-scaling: only ${distinct}/${size.messages} messages within 300 s`),
      ),
    300_000,
  );
  try {
    await done.promise;
  } finally {
    clearTimeout(timer);
    await server.stop();
  }
  return { elapsedMs: last - first, cpuMs, orderViolations };
}

/**
 * Issue 11's "an I/O-bound workload scales with processors even on a single
 * partition": `ordering: key` on one partition, each task awaiting a
 * (deterministic) random 0-5 ms; elapsed time against the ideal (the summed
 * delays / processors) at processors 1, 16, 64 and 256.
 */
export async function keyScaling(
  brokers: readonly string[],
  size: KeyScalingSize,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const topic = uniqueName('bench-key-scaling');
  log(`key-scaling: producing ${size.messages} records (${size.keys} keys) to ${topic}`);
  await produce(brokers, topic, size);
  let workMs = 0;
  for (let id = 0; id < size.messages; id++) workMs += delayOf(id);
  const figures: Figure[] = [
    { label: 'total work (summed task delays)', value: round(workMs), unit: 'ms' },
  ];
  const ratios = new Map<number, number>();
  let violations = 0;
  for (const processors of size.levels) {
    const rounds = processors === 1 ? 1 : size.rounds;
    const elapsed: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const run = await runLevel(brokers, topic, size, processors);
      violations += run.orderViolations;
      elapsed.push(run.elapsedMs);
      cpu.push(run.cpuMs);
      log(
        `key-scaling: processors ${processors}, round ${r + 1}: ${round(run.elapsedMs)} ms (CPU ${round(run.cpuMs)} ms)`,
      );
    }
    const ideal = workMs / processors;
    const ms = median(elapsed);
    ratios.set(processors, ms / ideal);
    figures.push(
      { label: `processors ${processors}: elapsed`, value: round(ms), unit: 'ms' },
      {
        label: `processors ${processors}: ideal (work / processors)`,
        value: round(ideal),
        unit: 'ms',
      },
      {
        label: `processors ${processors}: CPU time meanwhile (this process)`,
        value: round(median(cpu)),
        unit: 'ms',
      },
      {
        label: `processors ${processors}: elapsed / ideal`,
        value: round(ms / ideal, 2),
        unit: 'x',
      },
    );
  }
  if (violations > 0) {
    throw new BenchError(
      `key-scaling: ${violations} runs overlapped or overtook an earlier message of their key`,
    );
  }
  return {
    scenario: 'key-scaling',
    description:
      'ordering: key on one partition, 0-5 ms of simulated I/O per task: elapsed time against work / processors',
    settings: {
      messages: size.messages,
      keys: size.keys,
      partitions: 1,
      ordering: 'key',
      consumers: 1,
      maxWaitMs: 100,
      delayMs: '0-5, uniform, fixed per message id',
      processors: size.levels,
      rounds: size.rounds,
    },
    figures,
    targets: [
      target(
        'key-scaling-64',
        `elapsed / ideal (summed delays / processors) at processors ${targetProcessors}, ordering: key, one partition, median of rounds`,
        ratios.get(targetProcessors)!,
        '<=',
        targetBound,
      ),
    ],
  };
}
