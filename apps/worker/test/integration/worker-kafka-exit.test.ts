import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorker, summaryOf } from '../support.js';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const dir = mkdtempSync(join(tmpdir(), 'worker-kafka-exit-'));

/** A config on fresh topics and a fresh group, so runs never see each other's messages. */
function config(route: Record<string, string>, consumed: readonly string[]): string {
  const id = randomUUID().slice(0, 8);
  const topic = (name: string) => `${name}-${id}`;
  const lines = [
    `TaskRoute: { ${Object.entries(route)
      .map(([key, name]) => `${key}: ${topic(name)}`)
      .join(', ')} }`,
    'KafkaConf:',
    ...consumed.map(
      (name) =>
        `  - { Brokers: [${brokers}], Group: g-${id}, Topic: ${topic(name)}, Offset: first }`,
    ),
  ];
  const path = join(dir, `${id}.yaml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('the built worker on Kafka: no hang, no lie', () => {
  it('counts only the consumed topic and exits 0 with its summary', async () => {
    const path = config({ order: 'order', payment: 'payment' }, ['order']);
    const run = await runWorker(
      ['--config', path, '--demo', '20', '--exit-when-idle'],
      { KAFKA_BROKERS: brokers },
      110_000,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({
      processed: 10,
      failed: 0,
      pushed: 20,
      pushedElsewhere: 10,
      transport: 'kafka',
    });
  });

  it('closes its connections and exits 2 when a pushed key has no route', async () => {
    const path = config({ order: 'order' }, ['order']);
    const run = await runWorker(
      ['--config', path, '--demo', '10', '--exit-when-idle'],
      { KAFKA_BROKERS: brokers },
      110_000,
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /RouteError \[TASKS_ROUTE_INVALID\].*\n.*no topic for task key "payment"/,
    );
    expect(run.stdout).toBe('');
  });
});
