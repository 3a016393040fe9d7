import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { kqConfDefaults } from '@tasks/core';
import { BenchError } from '../lib/bench-error.ts';
import { createTopic, kafkaClient, produceBacklog, uniqueName } from '../lib/kafka.ts';
import type { ScenarioResult } from '../lib/result.ts';
import { target } from '../lib/result.ts';
import { round } from '../lib/stats.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
const mb = 2 ** 20;

interface Sample {
  readonly peakRss: number;
  readonly processed: number;
}

async function measure(config: Record<string, unknown>): Promise<Sample> {
  const { stdout } = await run(process.execPath, [child, JSON.stringify(config)], {
    timeout: 300_000,
  });
  const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Partial<Sample>;
  if (typeof parsed.peakRss !== 'number')
    throw new BenchError(`memory: unexpected output ${stdout}`);
  return parsed as Sample;
}

/**
 * Peak RSS of a worker (its defaults: processors 8, consumers 8, maxBytes
 * 10 MiB) whose task waits 10 ms, over the same window: once idle on an
 * empty topic, once with a large backlog waiting. Each in a child process of
 * its own, so the figures are the worker's and nobody else's.
 */
export async function memory(
  brokers: readonly string[],
  backlog: number,
  windowMs: number,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const kafka = kafkaClient(brokers);
  const idleTopic = uniqueName('bench-idle');
  const backlogTopic = uniqueName('bench-backlog');
  await createTopic(kafka, idleTopic);
  log(`memory: producing a backlog of ${backlog} records to ${backlogTopic}`);
  await produceBacklog(kafka, backlogTopic, backlog);
  const ioMs = 10;
  const settings = {
    processors: kqConfDefaults.processors,
    consumers: kqConfDefaults.consumers,
    maxBytes: kqConfDefaults.maxBytes,
  };
  const common = { brokers, ioMs, windowMs, settings };
  const idle = await measure({ ...common, topic: idleTopic, group: uniqueName('bench-idle') });
  const busy = await measure({
    ...common,
    topic: backlogTopic,
    group: uniqueName('bench-backlog'),
  });
  const inFlightBytes = settings.maxBytes * kqConfDefaults.conns;
  const bound = 2 * idle.peakRss + inFlightBytes;
  log(
    `memory: idle ${round(idle.peakRss / mb, 1)} MiB, backlog ${round(busy.peakRss / mb, 1)} MiB (${busy.processed} processed in ${windowMs} ms)`,
  );
  return {
    scenario: 'memory',
    description: 'peak RSS while a slow task (10 ms) works through a large backlog, against idle',
    settings: { backlog, windowMs, ioMs, ...settings, conns: kqConfDefaults.conns, inFlightBytes },
    figures: [
      { label: 'peak RSS idle', value: round(idle.peakRss / mb, 1), unit: 'MiB' },
      { label: 'peak RSS on the backlog', value: round(busy.peakRss / mb, 1), unit: 'MiB' },
      { label: 'runs finished in the window', value: busy.processed, unit: 'runs' },
    ],
    targets: [
      target(
        'memory-backlog',
        'peak RSS on the backlog / (2 x idle + maxBytes x conns)',
        busy.peakRss / bound,
        '<=',
        1,
      ),
    ],
  };
}
