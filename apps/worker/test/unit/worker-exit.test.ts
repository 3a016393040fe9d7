import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorker, summaryOf, workerRoot } from '../support.js';

const dir = mkdtempSync(join(tmpdir(), 'worker-exit-'));
function config(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const conf = (topic: string) => `  - { Brokers: [127.0.0.1:9092], Group: g, Topic: ${topic} }`;
const memory = { KAFKA_BROKERS: '' };

describe('the built worker: what --exit-when-idle counts and how it exits', () => {
  it('counts only what this worker consumes, and says what it pushed elsewhere', async () => {
    // payment-tasks has a route (this process pushes there) but no KafkaConf here.
    const path = config('push-only.yaml', [
      'TaskRoute: { order: order-tasks, payment: payment-tasks }',
      'KafkaConf:',
      conf('order-tasks'),
    ]);
    const run = await runWorker(['--config', path, '--demo', '10', '--exit-when-idle'], memory);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(summaryOf(run)).toMatchObject({
      processed: 5,
      failed: 0,
      pushed: 10,
      pushedElsewhere: 5,
      transport: 'memory',
    });
    expect(run.stderr).toMatch(/5 of them to payment-tasks, which no consumer here reads/);
  });

  it('exits 2 with the RouteError, no stack, when the demo pushes a key with no route', async () => {
    const path = config('no-payment-route.yaml', [
      'TaskRoute: { order: order-tasks }',
      'KafkaConf:',
      conf('order-tasks'),
    ]);
    const run = await runWorker(['--config', path, '--demo', '10', '--exit-when-idle'], memory);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/RouteError \[TASKS_ROUTE_INVALID\]/);
    expect(run.stderr).toMatch(/- TaskRoute\.payment: no topic for task key "payment"/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when a route names a task key nobody registered', async () => {
    const path = config('unregistered.yaml', [
      'TaskRoute: { order: order-tasks, payment: payment-tasks, audit: audit-tasks }',
      'KafkaConf:',
      conf('order-tasks'),
      conf('payment-tasks'),
      conf('audit-tasks'),
    ]);
    const run = await runWorker(['--config', path, '--demo', '4', '--exit-when-idle'], memory);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/- TaskRoute\.audit: .*no task is registered under "audit"/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when a consumer conf has no task routed to its topic', async () => {
    const path = config('orphan-conf.yaml', [
      'TaskRoute: { order: order-tasks, payment: payment-tasks }',
      'KafkaConf:',
      conf('order-tasks'),
      conf('payment-tasks'),
      conf('nobody-tasks'),
    ]);
    const run = await runWorker(['--config', path, '--demo', '4', '--exit-when-idle'], memory);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/nobody-tasks/);
  });

  it('--help names the default config file it really reads, from where it runs', async () => {
    const repoRoot = join(workerRoot, '../..');
    const run = await runWorker(['--help'], memory, 30_000, repoRoot);
    expect(run.code).toBe(0);
    const shown = /--config <file>.*\(default: (.+)\)/.exec(run.stdout)?.[1];
    expect(shown).toBe(relative(repoRoot, join(workerRoot, 'etc/worker.yaml')));
    expect(shown).toBe(join('apps', 'worker', 'etc', 'worker.yaml'));
  });
});
