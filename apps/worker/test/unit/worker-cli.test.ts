import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkerArgs, UsageError } from '../../src/cli/args.js';
import { demoBatch } from '../../src/demo/demo-batch.js';
import { runWorker, summaryOf } from '../support.js';

describe('worker command line', () => {
  it('parses the scripted mode, with or without the leading --', () => {
    for (const argv of [
      ['--demo', '1000', '--exit-when-idle'],
      ['--', '--demo', '1000', '--exit-when-idle'],
    ]) {
      expect(parseWorkerArgs(argv, {}, 'etc/worker.yaml')).toMatchObject({
        demo: 1000,
        exitWhenIdle: true,
        transport: 'memory',
        config: 'etc/worker.yaml',
      });
    }
  });

  it('picks Kafka when KAFKA_BROKERS is set, unless told otherwise', () => {
    expect(parseWorkerArgs([], { KAFKA_BROKERS: 'h:1' }, 'c').transport).toBe('kafka');
    expect(
      parseWorkerArgs(['--transport', 'memory'], { KAFKA_BROKERS: 'h:1' }, 'c').transport,
    ).toBe('memory');
  });

  it('rejects bad arguments with a usage error', () => {
    expect(() => parseWorkerArgs(['--demo', '-3'], {}, 'c')).toThrow(UsageError);
    expect(() => parseWorkerArgs(['--transport', 'rabbit'], {}, 'c')).toThrow(/memory" or "kafka/);
    expect(() => parseWorkerArgs(['--bogus'], {}, 'c')).toThrow(UsageError);
  });

  it('bounds start with --start-timeout, 30 s by default with --exit-when-idle', () => {
    expect(parseWorkerArgs(['--start-timeout', '2.5'], {}, 'c').startTimeoutMs).toBe(2_500);
    expect(parseWorkerArgs(['--exit-when-idle'], {}, 'c').startTimeoutMs).toBe(30_000);
    expect(parseWorkerArgs([], {}, 'c').startTimeoutMs).toBeUndefined();
    expect(() => parseWorkerArgs(['--start-timeout', '0'], {}, 'c')).toThrow(/--start-timeout/);
    expect(() => parseWorkerArgs(['--start-timeout', 'soon'], {}, 'c')).toThrow(UsageError);
  });

  it('makes a demo batch of orders and payments, the last ones broken on request', () => {
    const batch = demoBatch(10, 2);
    expect(batch.map((t) => t.taskKey)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? 'payment' : 'order')),
    );
    expect(() => JSON.parse(batch[0]!.value)).not.toThrow();
    expect(() => JSON.parse(batch[8]!.value)).toThrow();
    expect(JSON.parse(batch[9]!.value).amountCents).toBeLessThan(0);
  });
});

describe('the built worker against an address where nothing listens', () => {
  it('--exit-when-idle fails within --start-timeout with a typed error and exit 1', async () => {
    const started = Date.now();
    const run = await runWorker(
      ['--demo', '1', '--exit-when-idle', '--transport', 'kafka', '--start-timeout', '3'],
      { KAFKA_BROKERS: '127.0.0.1:1' },
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('TASKS_START_TIMEOUT');
    expect(run.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('the built worker on the in-memory broker', () => {
  it('processes a scripted demo and prints one JSON summary line', async () => {
    const run = await runWorker(['--demo', '1000', '--exit-when-idle'], { KAFKA_BROKERS: '' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(summaryOf(run)).toMatchObject({
      processed: 1000,
      failed: 0,
      pushed: 1000,
      transport: 'memory',
    });
    expect(summaryOf(run).durationMs).toEqual(expect.any(Number));
  });

  it('counts invalid demo tasks as failed without stopping', async () => {
    const run = await runWorker(['--demo', '50', '--demo-invalid', '4', '--exit-when-idle'], {
      KAFKA_BROKERS: '',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({ processed: 46, failed: 4 });
    expect(run.stderr).toMatch(/is not JSON|amountCents/);
  });

  it('writes one readable JSON span per line with Telemetry batcher file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-spans-'));
    const spans = join(dir, 'spans.jsonl');
    const config = join(dir, 'worker.yaml');
    writeFileSync(
      config,
      [
        'Name: traced-worker',
        'TaskRoute: { order: order-tasks, payment: payment-tasks }',
        'KafkaConf:',
        '  - { Brokers: [127.0.0.1:9092], Group: g, Topic: order-tasks }',
        '  - { Brokers: [127.0.0.1:9092], Group: g, Topic: payment-tasks }',
        `Telemetry: { Name: traced-worker, Batcher: file, Endpoint: ${JSON.stringify(spans)}, Disabled: false }`,
      ].join('\n'),
    );
    const run = await runWorker(['--config', config, '--demo', '10', '--exit-when-idle'], {
      KAFKA_BROKERS: '',
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(spans, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const consumers = lines.filter(
      (span) => span.name === 'process order-tasks' || span.name === 'process payment-tasks',
    );
    const producers = lines.filter((span) => String(span.name).startsWith('send '));
    expect(consumers).toHaveLength(10);
    expect(producers).toHaveLength(10);
    // Each run continues the trace its push started.
    const traceIds = new Set(producers.map((span) => span.traceId));
    for (const span of consumers) expect(traceIds).toContain(span.traceId);
  });

  it('exits 2 with a readable list, not a stack trace, on a bad config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-bad-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(
      path,
      'TaskRoute: { order: o }\nKafkaConf:\n  - { Brokers: [], Group: g, Topic: o, Offset: middle }\n',
    );
    const run = await runWorker(['--config', path, '--exit-when-idle'], { KAFKA_BROKERS: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/KafkaConf\[0\]\.Brokers/);
    expect(run.stderr).toMatch(/KafkaConf\[0\]\.Offset: must be "first" or "last", got "middle"/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
