// One contender in a process of its own: CPU time per consumed message (and
// msg/s) over a pre-produced topic. `pnpm bench` runs its noop and tracing
// contenders this way (lib/isolated.ts); by hand it is a profiling aid:
// `node --cpu-prof packages/kafka/bench/cpu.ts tuned <topic>`.
//   node packages/kafka/bench/cpu.ts produce [count]        prints a topic name
//   node packages/kafka/bench/cpu.ts <contender> <topic> [count] [--json]
// contenders: batch, each-message, platformatic, tuned, tuned-async, defaults,
// sampler0, sampler1, members<N>. KAFKA_BROKERS names the broker (default 127.0.0.1:9092).
import { kqConfDefaults } from '@tasks/core';
import { rawEachBatch, rawEachMessage } from './baselines/kafkajs.ts';
import { rawPlatformatic } from './baselines/platformatic.ts';
import { kafkaClient, produceBacklog, uniqueName } from './lib/kafka.ts';
import { tasksInMembers } from './lib/members.ts';
import type { Rate } from './lib/meter.ts';
import { tracingPlugin } from './lib/otel.ts';
import { tasksOnKafka, tunedSettings } from './lib/task-server.ts';

/** The worker's default conf: kq's defaults (consumers 8, processors 8, maxWaitMs 1000). */
export const workerDefaults = {
  processors: kqConfDefaults.processors,
  consumers: kqConfDefaults.consumers,
  maxWaitMs: kqConfDefaults.maxWaitMs,
} as const;

export async function runContender(
  what: string,
  brokers: readonly string[],
  topic: string,
  messages: number,
): Promise<Rate> {
  const kafka = kafkaClient(brokers);
  const base = { brokers, topic, messages, ioMs: 0 };
  const raw = { kafka, topic, messages, ioMs: 0, maxWaitMs: tunedSettings.maxWaitMs };
  if (what.startsWith('members')) {
    const members = Number(what.slice('members'.length));
    return tasksInMembers({ brokers, topic, messages, members, settings: workerDefaults });
  }
  switch (what) {
    case 'batch':
      return rawEachBatch(raw);
    case 'each-message':
      return rawEachMessage(raw);
    case 'platformatic':
      return rawPlatformatic({ brokers, topic, messages, maxWaitMs: raw.maxWaitMs });
    case 'tuned':
      return tasksOnKafka({ ...base, settings: tunedSettings });
    case 'tuned-async':
      return tasksOnKafka({ ...base, settings: tunedSettings, async: true });
    case 'defaults':
      return tasksOnKafka({ ...base, settings: workerDefaults });
    case 'sampler0':
    case 'sampler1':
      return tasksOnKafka({
        ...base,
        settings: tunedSettings,
        plugins: [await tracingPlugin(what === 'sampler0' ? 0 : 1)],
      });
    default:
      throw new Error(`unknown contender ${what}`);
  }
}

if (import.meta.main) {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  const json = process.argv.includes('--json');
  const [what = 'batch', topicArg, countArg] = args;
  if (what === 'produce') {
    const topic = uniqueName('bench-cpu');
    await produceBacklog(kafkaClient(brokers), topic, Number(topicArg ?? 200_000));
    process.stdout.write(`${topic}\n`);
  } else {
    const rate = await runContender(what, brokers, topicArg!, Number(countArg ?? 200_000));
    process.stdout.write(
      json
        ? `${JSON.stringify(rate)}\n`
        : `${what}: ${(1e6 / rate.perCpuSecond).toFixed(2)} us cpu/msg, ${Math.round(rate.perSecond)} msg/s\n`,
    );
  }
}
