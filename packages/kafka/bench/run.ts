// `pnpm bench`: the task runtime (@tasks/core + @tasks/kafka) against raw
// kafkajs (`eachBatch`, `eachMessage`) and a Go consumer wired like go-queue's
// kq, in the same run, on the same broker and the same pre-produced topics,
// in alternating rounds; plus the pusher, the fake broker, memory and
// end-to-end latency. Writes bench-results/latest.json and latest.md.
//
//   pnpm bench                 full run
//   pnpm bench --quick         the short run CI makes (< 3 minutes)
//   pnpm bench --check         exit 1 when a target is missed
//   pnpm bench --only=noop,pusher
//
// Without KAFKA_BROKERS it starts (and afterwards stops) a broker of its own
// with the JVM's full JIT and a 1 GB heap; see lib/broker.ts.
import { buildGoConsumer } from './baselines/go-kq.ts';
import { benchBroker } from './lib/broker.ts';
import { loadAverage, machine } from './lib/machine.ts';
import { parseOptions, wanted } from './lib/options.ts';
import { writeReport } from './lib/report.ts';
import type { ScenarioResult } from './lib/result.ts';
import { io, noop } from './scenarios/consume.ts';
import { fakeBroker } from './scenarios/fake-broker.ts';
import { keyScaling, processorLevels } from './scenarios/key-scaling.ts';
import { latency } from './scenarios/latency.ts';
import { memory } from './scenarios/memory.ts';
import { pusher } from './scenarios/pusher.ts';
import { tracing } from './scenarios/tracing.ts';

const options = parseOptions(process.argv.slice(2));
const quick = options.quick;
const rounds = 3;
/** Sizes per mode: full reproduces the measurements, quick keeps CI under 3 minutes. */
const sizes = quick
  ? {
      noop: 60_000,
      io: 1_500,
      // As many as the full run: the sampler 0 / off ratio sits near its bound, and
      // 80,000 records left a window short enough for single rounds to swing it.
      tracing: 150_000,
      push: 20_000,
      singles: 50,
      fake: 60_000,
      backlog: 60_000,
      memoryWindowMs: 3_000,
      rate: 200,
      latencyMs: 2_000,
    }
  : {
      noop: 600_000,
      io: 10_000,
      tracing: 150_000,
      push: 100_000,
      singles: 200,
      fake: 300_000,
      backlog: 1_000_000,
      memoryWindowMs: 15_000,
      rate: 500,
      latencyMs: 10_000,
    };

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const started = performance.now();
  const info = machine();
  const broker = await benchBroker(log);
  const brokers = broker.info.brokers;
  const results: ScenarioResult[] = [];
  const ctx = { brokers, rounds, goBinary: undefined, log };
  // The Go build (slow only the first time) overlaps the scenarios without Go.
  const goBuild =
    wanted(options, 'noop') || wanted(options, 'io-5ms')
      ? buildGoConsumer(log)
      : Promise.resolve({ binary: undefined, how: 'not needed' });
  let goHow = 'not needed';
  try {
    if (wanted(options, 'pusher')) results.push(await pusher(ctx, sizes.push, sizes.singles));
    if (wanted(options, 'fake-broker')) results.push(await fakeBroker(rounds, sizes.fake, log));
    if (wanted(options, 'memory')) {
      results.push(await memory(brokers, sizes.backlog, sizes.memoryWindowMs, log));
    }
    if (wanted(options, 'latency')) {
      results.push(await latency(brokers, sizes.rate, sizes.latencyMs, log));
    }
    if (wanted(options, 'tracing')) results.push(await tracing(ctx, sizes.tracing));
    if (wanted(options, 'key-scaling')) {
      const levels = quick ? processorLevels.filter((p) => p > 1) : processorLevels;
      const size = { messages: 10_000, keys: 1_000, rounds, levels };
      results.push(await keyScaling(brokers, size, log));
    }
    if (wanted(options, 'noop') || wanted(options, 'io-5ms')) {
      const go = await goBuild;
      goHow = go.how;
      const withGo = { ...ctx, goBinary: go.binary };
      if (wanted(options, 'noop')) results.push(await noop(withGo, sizes.noop));
      if (wanted(options, 'io-5ms')) results.push(await io(withGo, sizes.io));
    }
  } finally {
    broker.stop();
  }
  const md = writeReport({
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    command: ['pnpm bench', ...process.argv.slice(2)].join(' '),
    durationSeconds: Math.round((performance.now() - started) / 1000),
    rounds,
    machine: info,
    loadAverageAtEnd: loadAverage(),
    conditions:
      "Ratios compare figures of the same run; absolute figures move with the machine's load.",
    broker: broker.info,
    goBaseline: goHow,
    results,
  });
  process.stdout.write(`${md}\nwritten to bench-results/latest.json and latest.md\n`);
  const missed = results.flatMap((r) => r.targets).filter((t) => !t.met);
  if (options.check && missed.length > 0) process.exitCode = 1;
}

await main();
