import { availableParallelism } from 'node:os';
import { goKq } from '../baselines/go-kq.ts';
import { rawEachMessage } from '../baselines/kafkajs.ts';
import { platformaticSettings } from '../baselines/platformatic.ts';
import { workerDefaults } from '../cpu.ts';
import { isolated } from '../lib/isolated.ts';
import { kafkaClient, partitions, produceBacklog, recordBytes, uniqueName } from '../lib/kafka.ts';
import { fromRounds, fromSpread, type ScenarioResult, target } from '../lib/result.ts';
import { alternate, type Contender } from '../lib/rounds.ts';
import { round } from '../lib/stats.ts';
import { tasksOnKafka, tunedSettings } from '../lib/task-server.ts';

export interface ConsumeContext {
  readonly brokers: readonly string[];
  readonly rounds: number;
  /** The Go kq consumer's binary; undefined when Go is missing. */
  readonly goBinary: string | undefined;
  readonly log: (line: string) => void;
}

/**
 * No-op tasks: the runtime's own cost per message. The task returns nothing
 * (`ITask.run` may return void), the counterpart of the raw loops' plain
 * per-message call; the same task written `async` is measured beside it.
 * The tuned one-process
 * server against raw kafkajs `eachBatch` and `eachMessage`, and the server
 * with the worker's defaults against the Go kq consumer with kq's defaults.
 * A raw `@platformatic/kafka` consumer (no target) shows how near another
 * Node client's own loop gets to the Go consumer.
 */
export async function noop(ctx: ConsumeContext, messages: number): Promise<ScenarioResult> {
  const kafka = kafkaClient(ctx.brokers);
  const topic = uniqueName('bench-noop');
  ctx.log(`noop: producing ${messages} records to ${topic}`);
  await produceBacklog(kafka, topic, messages);
  // Each round of each contender in a process of its own (`bench/cpu.ts`).
  const own = (what: string) => () => isolated(what, ctx.brokers, topic, messages);
  const contenders: Contender[] = [
    { name: 'eachBatch', run: own('batch') },
    { name: 'eachMessage', run: own('each-message') },
    { name: 'platformatic', run: own('platformatic') },
    { name: 'tasksTuned', run: own('tuned') },
    { name: 'tasksTunedAsync', run: own('tuned-async') },
    { name: 'tasksDefaults', run: own('defaults') },
  ];
  // What both cores give: the worker's defaults in one process per core, one group.
  const members = availableParallelism();
  if (members >= 2) {
    contenders.push({ name: 'tasksMembers', run: own(`members${members}`) });
  }
  const goBinary = ctx.goBinary;
  if (goBinary) {
    contenders.push({
      name: 'goKq',
      run: () =>
        goKq({
          binary: goBinary,
          brokers: ctx.brokers,
          topic,
          messages,
          ioMs: 0,
          ...workerDefaults,
        }),
    });
  }
  const r = await alternate('noop', ctx.rounds, contenders, ctx.log);
  const targets = [
    target(
      'noop-vs-eachBatch',
      '@tasks (processors 64, consumers 4, maxWaitMs 100; the task returns nothing, as the raw loop does a plain call) / raw kafkajs eachBatch, msg per CPU-second, median of per-round ratios',
      r.ratio('tasksTuned', 'eachBatch', 'cpu'),
      '>=',
      0.8,
    ),
  ];
  const membersFigures =
    members >= 2
      ? [
          ...fromRounds(
            `@tasks, worker's defaults, ${members} processes in one group (one per core)`,
            r,
            'tasksMembers',
          ),
          ...(goBinary
            ? [
                {
                  label: `@tasks in ${members} processes / Go kq consumer by the wall clock (median of per-round ratios)`,
                  value: round(r.ratio('tasksMembers', 'goKq', 'wall'), 2),
                  unit: 'x',
                },
              ]
            : []),
        ]
      : [];
  const platformaticFigures = [
    {
      label: '@tasks defaults / raw @platformatic/kafka, wall clock (median of per-round ratios)',
      value: round(r.ratio('tasksDefaults', 'platformatic', 'wall'), 2),
      unit: 'x',
    },
    {
      label:
        '@tasks defaults / raw @platformatic/kafka per CPU-second (median of per-round ratios)',
      value: round(r.ratio('tasksDefaults', 'platformatic', 'cpu'), 2),
      unit: 'x',
    },
    ...(goBinary
      ? [
          {
            label:
              'raw @platformatic/kafka / Go kq consumer, wall clock (median of per-round ratios)',
            value: round(r.ratio('platformatic', 'goKq', 'wall'), 2),
            unit: 'x',
          },
        ]
      : []),
  ];
  if (goBinary) {
    targets.push(
      target(
        'noop-vs-go-kq',
        "@tasks with the worker's defaults / Go kq consumer with kq's defaults, wall-clock msg/s, median of per-round ratios",
        r.ratio('tasksDefaults', 'goKq', 'wall'),
        '>=',
        1.0,
      ),
    );
  }
  return {
    scenario: 'noop',
    description: 'each task returns at once: the per-message cost of the runtime',
    settings: {
      messages,
      recordBytes,
      partitions,
      tuned: tunedSettings,
      workerDefaults,
      processesInOneGroup: members >= 2 ? members : 'skipped: one core',
      rawMaxWaitMs: tunedSettings.maxWaitMs,
      platformatic: {
        ...platformaticSettings,
        maxWaitMs: tunedSettings.maxWaitMs,
        reading: "the consume() stream in flowing mode ('data'), key and value decoded to strings",
      },
      goKq: goBinary
        ? {
            ...workerDefaults,
            minBytes: 10240,
            maxBytes: 10485760,
            commitIntervalMs: 1000,
            queueCapacity: 1000,
          }
        : 'skipped: go not installed',
    },
    figures: [
      ...fromRounds('raw kafkajs eachBatch', r, 'eachBatch'),
      ...fromRounds('raw kafkajs eachMessage', r, 'eachMessage'),
      ...fromRounds('raw @platformatic/kafka, its stream in flowing mode', r, 'platformatic'),
      ...(goBinary ? fromRounds("Go kq consumer (kafka-go, kq's defaults)", r, 'goKq') : []),
      ...fromRounds('@tasks, processors 64, consumers 4', r, 'tasksTuned'),
      ...fromRounds('@tasks, processors 64, consumers 4, an async task', r, 'tasksTunedAsync'),
      {
        label:
          '@tasks tuned with an async task / eachBatch per CPU-second (median of per-round ratios)',
        value: round(r.ratio('tasksTunedAsync', 'eachBatch', 'cpu'), 2),
        unit: 'x',
      },
      ...fromRounds("@tasks, worker's defaults (processors 8, consumers 8)", r, 'tasksDefaults'),
      ...membersFigures,
      ...platformaticFigures,
      {
        label: '@tasks tuned / eachBatch by the wall clock (median of per-round ratios)',
        value: round(r.ratio('tasksTuned', 'eachBatch', 'wall'), 2),
        unit: 'x',
      },
    ],
    targets,
  };
}

/** Tasks that await 5 ms of simulated I/O, processors 64. */
export async function io(ctx: ConsumeContext, messages: number): Promise<ScenarioResult> {
  const ioMs = 5;
  const kafka = kafkaClient(ctx.brokers);
  const topic = uniqueName('bench-io');
  ctx.log(`io-5ms: producing ${messages} records to ${topic}`);
  await produceBacklog(kafka, topic, messages);
  const raw = { kafka, topic, messages, ioMs, maxWaitMs: tunedSettings.maxWaitMs };
  const contenders: Contender[] = [
    { name: 'eachMessage', run: () => rawEachMessage(raw) },
    {
      name: 'tasks',
      run: () =>
        tasksOnKafka({ brokers: ctx.brokers, topic, messages, ioMs, settings: tunedSettings }),
    },
  ];
  const goBinary = ctx.goBinary;
  if (goBinary) {
    contenders.push({
      name: 'goKq',
      run: () =>
        goKq({
          binary: goBinary,
          brokers: ctx.brokers,
          topic,
          messages,
          ioMs,
          consumers: tunedSettings.consumers,
          processors: tunedSettings.processors,
          maxWaitMs: tunedSettings.maxWaitMs,
        }),
    });
  }
  const r = await alternate('io-5ms', ctx.rounds, contenders, ctx.log);
  return {
    scenario: 'io-5ms',
    description: 'each task awaits 5 ms of simulated I/O (a database or HTTP call)',
    settings: { messages, ioMs, ...tunedSettings, rawPartitionsConcurrently: partitions },
    figures: [
      fromSpread('raw kafkajs eachMessage (4 partitions at once)', r.wall('eachMessage')),
      ...(goBinary ? [fromSpread('Go kq consumer, processors 64', r.wall('goKq'))] : []),
      fromSpread('@tasks, processors 64', r.wall('tasks')),
    ],
    targets: [
      target(
        'io-vs-eachMessage',
        '@tasks / raw kafkajs eachMessage, wall-clock msg/s, median of per-round ratios',
        r.ratio('tasks', 'eachMessage', 'wall'),
        '>=',
        3,
      ),
    ],
  };
}
