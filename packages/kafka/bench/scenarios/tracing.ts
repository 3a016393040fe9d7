import { isolated } from '../lib/isolated.ts';
import { kafkaClient, produceBacklog, uniqueName } from '../lib/kafka.ts';
import { fromRounds, type ScenarioResult, target } from '../lib/result.ts';
import { alternate } from '../lib/rounds.ts';
import { round } from '../lib/stats.ts';
import { tunedSettings } from '../lib/task-server.ts';
import type { ConsumeContext } from './consume.ts';

/** Rounds of the sampler 0 / off pair (each round is two short runs). */
const pairRounds = 9;

/**
 * No-op tasks through the tuned server with tracing off, and with
 * `setupTracing` at sampler 1 (every run a span, exported to /dev/null by
 * the `file` batcher) and at sampler 0 (no run sampled).
 */
export async function tracing(ctx: ConsumeContext, messages: number): Promise<ScenarioResult> {
  const kafka = kafkaClient(ctx.brokers);
  const topic = uniqueName('bench-tracing');
  ctx.log(`tracing: producing ${messages} records to ${topic}`);
  await produceBacklog(kafka, topic, messages);
  // Each round in a process of its own (`bench/cpu.ts`): `tuned` is tracing off.
  const own = (what: string) => () => isolated(what, ctx.brokers, topic, messages);
  // Sampler 0 against off as a pair of their own, more rounds than the rest: run
  // among sampler 1's rounds, one of them always came right after sampler 1 and
  // paid for its spans (a quick run once read 0.77x where the full run read 0.96x).
  const r = await alternate(
    'tracing',
    Math.max(ctx.rounds, pairRounds),
    [
      { name: 'off', run: own('tuned') },
      { name: 'sampler0', run: own('sampler0') },
    ],
    ctx.log,
  );
  const s1 = await alternate(
    'tracing sampler 1',
    ctx.rounds,
    [{ name: 'sampler1', run: own('sampler1') }],
    ctx.log,
  );
  return {
    scenario: 'tracing',
    description: 'no-op tasks with tracing off, sampler 1 and sampler 0 (@tasks/otel setupTracing)',
    settings: {
      messages,
      ...tunedSettings,
      batcher: 'file',
      endpoint: '/dev/null',
      offVsSampler0Rounds: Math.max(ctx.rounds, pairRounds),
      garbageCollectedBetweenContenders: true,
    },
    figures: [
      ...fromRounds('tracing off', r, 'off'),
      ...fromRounds('sampler 1 (every run a span)', s1, 'sampler1'),
      ...fromRounds('sampler 0 (none sampled)', r, 'sampler0'),
      {
        label: 'sampler 0 / off by the wall clock (median of per-round ratios)',
        value: round(r.ratio('sampler0', 'off', 'wall'), 2),
        unit: 'x',
      },
    ],
    targets: [
      target(
        'tracing-sampler0',
        'sampler 0 / tracing off, msg per CPU-second, median of per-round ratios',
        r.ratio('sampler0', 'off', 'cpu'),
        '>=',
        0.95,
      ),
    ],
  };
}
