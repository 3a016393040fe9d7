// Scenario 2: SIGKILL a worker three times mid-stream. Nothing is lost,
// duplicates stay within what was in flight or finished since the last commit,
// and the killed worker's partitions move within about a session timeout.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { faultBrokers, report } from './cluster.js';
import { produceIds } from './produce.js';
import { duplicates, faultSuite, records } from './workers.js';

const total = 15_000;
const processors = 16;
/** Per kill: the runs in flight plus what one worker finishes in a second (commits go every 200 ms). */
const duplicateBoundPerKill = processors + 250;
/** kafkaTransportDefaults.sessionTimeoutMs, plus a rejoin and a loaded machine. */
const recoveryBoundMs = 10_000 + 15_000;

describe('worker SIGKILL x3 mid-stream', () => {
  const suite = faultSuite('faults-kill');
  const { topic } = suite;

  it('loses nothing; bounded duplicates; partitions move within the session timeout', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'faults-kill-')), 'ids.txt');
    const ids = await produceIds(topic, total);
    const env = {
      KAFKA_BROKERS: faultBrokers().join(','),
      TOPIC: topic,
      GROUP: uniqueName('faults-kill-group'),
      OUT: out,
      TASK_MAX_MS: '150',
    };
    const start = () => {
      return suite.spawn(env);
    };
    let victim = start();
    const survivor = start();
    await Promise.all([victim.ready, survivor.ready]);
    const recoveries: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      // Kill at a quarter, a half and three quarters of the ids: each kill lands
      // mid-stream however fast the workers go (a fixed number of records after
      // the last recovery can outrun the end of the stream).
      const threshold = Math.floor(((kill + 1) * total) / 4);
      await waitFor(() => new Set(records(out).map((r) => r.id)).size >= threshold, {
        timeoutMs: 120_000,
        intervalMs: 100,
      });
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');
      await victim.exited;
      victim = start();
      // Recovered when every partition with work left made progress after the kill.
      await waitFor(
        () => {
          const list = records(out);
          if (new Set(list.map((r) => r.id)).size >= total) return true;
          const moving = new Set(list.filter((r) => r.at > killedAt).map((r) => r.partition));
          return moving.size === 8;
        },
        { timeoutMs: 120_000, intervalMs: 100 },
      );
      recoveries.push(Date.now() - killedAt);
    }
    await waitFor(() => new Set(records(out).map((r) => r.id)).size >= total, {
      timeoutMs: 240_000,
      intervalMs: 250,
    });
    const list = records(out);
    const seen = new Set(list.map((r) => r.id));
    const lost = ids.filter((id) => !seen.has(id)).length;
    const dups = duplicates(list);
    report('2 worker SIGKILL x3', {
      ids: total,
      lost,
      duplicates: dups,
      'dup bound': 3 * duplicateBoundPerKill,
      'recovery ms': recoveries.join('/'),
    });
    expect(lost).toBe(0);
    expect(dups).toBeLessThanOrEqual(3 * duplicateBoundPerKill);
    for (const ms of recoveries) expect(ms).toBeLessThan(recoveryBoundMs);
  });
});
