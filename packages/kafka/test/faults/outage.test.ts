// Scenario 4: the whole cluster down for 20 s, then back. Nothing is lost;
// the workers recover by themselves; duplicates are reported and bounded by
// what was finished but not committed when the cluster went down (plus what
// finished during the outage and the runs in flight); the workers say how many
// finished runs they could not commit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { faultBrokers, killNode, report, startAllNodes } from './cluster.js';
import { produceIds } from './produce.js';
import { duplicates, faultSuite, logLines, records } from './workers.js';

const total = 12_000;
const processors = 16;
const nodes = [1, 2, 3];

describe('whole cluster down 20 s', () => {
  const suite = faultSuite('faults-outage', { beforeTeardown: () => startAllNodes(nodes) });
  const { topic } = suite;

  it('loses nothing and recovers by itself; duplicates bounded by the uncommitted', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'faults-outage-')), 'ids.txt');
    const ids = await produceIds(topic, total);
    const env = {
      KAFKA_BROKERS: faultBrokers().join(','),
      TOPIC: topic,
      GROUP: uniqueName('faults-outage-group'),
      OUT: out,
      TASK_MAX_MS: '150',
    };
    const workers = [suite.spawn(env), suite.spawn(env)];
    await Promise.all(workers.map((w) => w.ready));
    await waitFor(() => records(out).length >= 2_000, { timeoutMs: 120_000 });
    // What is committed just before the outage is never run again; the rest may be.
    const [offsets] = await suite.admin.fetchOffsets({ groupId: env.GROUP, topics: [topic] });
    const committedBefore = (offsets?.partitions ?? []).reduce(
      (sum, p) => sum + Math.max(0, Number(p.offset)),
      0,
    );
    await Promise.all(nodes.map((k) => killNode(k)));
    await sleep(20_000);
    await startAllNodes(nodes);
    const readyAt = Date.now();
    const finishedAtReady = new Set(records(out).map((r) => r.id)).size;
    const uncommittedAtOutage = finishedAtReady - committedBefore;
    // Done when the group has committed every message: only then are the re-runs all in.
    const committed = async () => {
      const [now] = await suite.admin.fetchOffsets({ groupId: env.GROUP, topics: [topic] });
      return (now?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    await waitFor(async () => (await committed()) >= total, {
      timeoutMs: 240_000,
      intervalMs: 500,
    });
    const recoveryMs = Date.now() - readyAt;
    const list = records(out);
    const seen = new Set(list.map((r) => r.id));
    const lost = ids.filter((id) => !seen.has(id)).length;
    const dups = duplicates(list);
    const uncommitted = workers
      .flatMap((w) => logLines(w))
      .map((line) => /(\d+) finished runs could not be committed/.exec(line.msg))
      .reduce((sum, m) => sum + (m ? Number(m[1]) : 0), 0);
    // A worker whose consumer gave up logs the reconnect's start and its end.
    const reconnectLogged = workers.every((w) => {
      const lines = logLines(w).map((line) => line.msg);
      const began = lines.filter((msg) => msg.endsWith(': reconnecting')).length;
      const ended = lines.filter((msg) => msg.includes('done reconnecting')).length;
      return began === ended;
    });
    report('4 cluster down 20 s', {
      ids: total,
      lost,
      duplicates: dups,
      'uncommitted at outage': uncommittedAtOutage,
      'reported uncommitted': uncommitted,
      'all committed after cluster ready ms': recoveryMs,
      'reconnect logged': String(reconnectLogged),
    });
    expect(lost).toBe(0);
    // Each finished run the outage left uncommitted runs at most once more; plus the runs in flight.
    expect(dups).toBeLessThanOrEqual(uncommittedAtOutage + 2 * processors);
    expect(reconnectLogged).toBe(true);
  });
});
