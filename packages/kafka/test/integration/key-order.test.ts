import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { linesOf, workerProcessSuite } from './helpers/child-worker.js';
import { brokers } from './helpers/kafka-env.js';

const partitions = 3;
const keys = 100;
const perKey = 60;

/**
 * `<key>:<seq>:<id>`: message `id` is the `seq`-th of its key. Each key's
 * messages come in runs of 5 in a row, so anything but key ordering would
 * overlap them.
 */
function valuesOf(): string[] {
  const values: string[] = [];
  for (let round = 0; round < perKey / 5; round++) {
    for (let k = 0; k < keys; k++) {
      for (let i = 0; i < 5; i++) values.push(`k${k}:${round * 5 + i}:${values.length}`);
    }
  }
  return values;
}

/**
 * `ordering: key` runs a key's messages one after another: the first delivery
 * of a key's message starts only once the key's previous message finished
 * (some delivery of it). Redeliveries (after a kill or a rebalance) may
 * repeat earlier messages; first deliveries never overtake nor overlap.
 * Returns the violations, as "key: seq n first started before seq n-1 finished".
 */
function orderViolations(lines: readonly string[]): string[] {
  const firstStarted = new Set<string>();
  const finished = new Map<string, Set<number>>();
  const violations: string[] = [];
  for (const line of lines) {
    const space = line.indexOf(' ');
    const what = line.slice(0, space);
    const value = line.slice(space + 1);
    const [key, seqText] = value.split(':') as [string, string];
    const seq = Number(seqText);
    if (what === 'done') {
      const seqs = finished.get(key) ?? new Set<number>();
      seqs.add(seq);
      finished.set(key, seqs);
    } else if (what === 'start' && !firstStarted.has(value)) {
      firstStarted.add(value);
      if (seq > 0 && !finished.get(key)?.has(seq - 1)) {
        violations.push(`${key}: seq ${seq} first started before seq ${seq - 1} finished`);
      }
    }
  }
  return violations;
}

describe('ordering: key on Kafka, across a SIGKILL and rebalances (worker processes)', () => {
  const suite = workerProcessSuite();

  it('never starts a first delivery ahead of an earlier message of its key, and loses nothing', async () => {
    const topic = uniqueName('key-order');
    const group = uniqueName('key-order-g');
    const out = join(mkdtempSync(join(tmpdir(), 'tasks-key-order-')), 'events.txt');
    await suite.client.createTopic(topic, partitions);
    const values = valuesOf();
    // Keyed: each key's messages land on one partition, in seq order.
    await suite.client.producer.send({
      topic,
      messages: values.map((value) => ({ key: value.split(':')[0]!, value })),
    });
    const env = { KAFKA_BROKERS: brokers.join(','), TOPIC: topic, GROUP: group, OUT: out };
    const done = () => new Set(linesOf(out).filter((l) => l.startsWith('done ')));
    const spawn = (extra: Record<string, string> = {}) =>
      suite.spawn('order-worker.ts', { ...env, ...extra });

    // 1. A worker killed mid-stream with SIGKILL.
    const first = spawn();
    await first.ready;
    await waitFor(() => done().size >= values.length / 4, {
      timeoutMs: 60_000,
      message: 'a quarter done by the first worker',
      describe: () => `${done().size} done; stderr: ${first.stderr.join('')}`,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = done().size;

    // 2. Its successor, then a second member joining (a rebalance under way)...
    const second = spawn({ REVOKE_GRACE_MS: '1000' });
    await second.ready;
    await waitFor(() => done().size >= atKill + values.length / 6, {
      timeoutMs: 60_000,
      message: 'the second worker to make progress',
      describe: () => `${done().size} done; stderr: ${second.stderr.join('')}`,
    });
    const third = spawn();
    await third.ready;
    const atJoin = done().size;
    await waitFor(() => done().size >= atJoin + values.length / 6, {
      timeoutMs: 60_000,
      message: 'progress with two members',
      describe: () => `${done().size} done`,
    });
    // 3. ...and leaving again (another rebalance).
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);

    await waitFor(() => done().size >= values.length, {
      timeoutMs: 90_000,
      message: 'every message done',
      describe: () => `${done().size}/${values.length} done; stderr: ${second.stderr.join('')}`,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const lines = linesOf(out);
    // Nothing lost.
    const finished = new Set(lines.filter((l) => l.startsWith('done ')).map((l) => l.slice(5)));
    expect(values.filter((v) => !finished.has(v))).toEqual([]);
    // Per-key order among first deliveries, over all three processes.
    expect(orderViolations(lines)).toEqual([]);
    const starts = lines.filter((l) => l.startsWith('start ')).length;
    console.info(
      `key-order: ${values.length} messages, ${starts} starts (${starts - values.length} redeliveries) across a SIGKILL and two rebalances`,
    );
    // The kill left work to redo: the check above saw redeliveries, not a clean hand-over.
    expect(starts).toBeGreaterThan(values.length);
  });

  it('the order check itself sees a first delivery that overtakes or overlaps its key', () => {
    const ok = ['start a:0:0', 'done a:0:0', 'start a:1:1', 'start a:1:1', 'done a:1:1'];
    expect(orderViolations([...ok, 'start a:0:0', 'start a:2:2'])).toEqual([]);
    expect(orderViolations(['start a:0:0', 'start a:1:1', 'done a:0:0'])).toEqual([
      'a: seq 1 first started before seq 0 finished',
    ]);
  });
});
