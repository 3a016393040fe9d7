// CPU time per consumed message, one contender per process (a profiling aid:
// `node --cpu-prof packages/kafka/bench/cpu.ts tuned <topic>`).
//   node packages/kafka/bench/cpu.ts produce [count]        prints a topic name
//   node packages/kafka/bench/cpu.ts batch|tuned|tuned-async|defaults|members<N> <topic> [count]
import { rawEachBatch } from './baselines/kafkajs.ts';
import { kafkaClient, produceBacklog, uniqueName } from './lib/kafka.ts';
import { tasksInMembers } from './lib/members.ts';
import { tasksOnKafka, tunedSettings } from './lib/task-server.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const [what = 'batch', topicArg, countArg] = process.argv.slice(2);
const kafka = kafkaClient(brokers);
if (what === 'produce') {
  const topic = uniqueName('bench-cpu');
  await produceBacklog(kafka, topic, Number(topicArg ?? 200_000));
  process.stdout.write(`${topic}\n`);
} else {
  const topic = topicArg!;
  const messages = Number(countArg ?? 200_000);
  const settings =
    what === 'defaults' || what.startsWith('members')
      ? { processors: 8, consumers: 8, maxWaitMs: 1000 }
      : tunedSettings;
  const rate = what.startsWith('members')
    ? await tasksInMembers({ brokers, topic, messages, members: Number(what.slice(7)), settings })
    : what === 'batch'
      ? await rawEachBatch({ kafka, topic, messages, ioMs: 0, maxWaitMs: 100 })
      : await tasksOnKafka({
          brokers,
          topic,
          messages,
          ioMs: 0,
          settings,
          async: what === 'tuned-async',
        });
  process.stdout.write(
    `${what}: ${(1e6 / rate.perCpuSecond).toFixed(2)} us cpu/msg, ${Math.round(rate.perSecond)} msg/s\n`,
  );
}
