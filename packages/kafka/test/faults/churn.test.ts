// Scenario 3: group churn. Members join and leave (SIGKILL, SIGTERM, and
// SIGTERM while start() still joins) beside two steady workers. Nothing is
// lost, no stall lasts longer than the session timeout plus a margin, every
// stall over 5 s is logged by the workers, and a worker stopped during its
// join leaves the group at once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { faultBrokers, report } from './cluster.js';
import { produceIds } from './produce.js';
import { duplicates, faultSuite, logLines, longestGap, records } from './workers.js';

const total = 15_000;
/** kafkaTransportDefaults.sessionTimeoutMs plus a margin for a rejoin on a loaded machine. */
const stallBoundMs = 10_000 + 10_000;

describe('group churn', () => {
  const suite = faultSuite('faults-churn');
  const { topic } = suite;
  const group = uniqueName('faults-churn-group');

  const members = async (): Promise<string[]> => {
    const { groups } = await suite.admin.describeGroups([group]);
    return groups[0]!.members.map((m) => m.clientId);
  };

  it('loses nothing, never stalls past the session timeout unlogged, leaves when stopped during start', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'faults-churn-')), 'ids.txt');
    const ids = await produceIds(topic, total);
    let n = 0;
    const start = () => {
      return suite.spawn({
        KAFKA_BROKERS: faultBrokers().join(','),
        TOPIC: topic,
        GROUP: group,
        OUT: out,
        TASK_MAX_MS: '150',
        CLIENT_ID: `churn-${n++}`,
      });
    };
    const steady = [start(), start()];
    await Promise.all(steady.map((w) => w.ready));
    const leftAfterStopDuringStart: number[] = [];
    let stoppedDuringStart = 0;
    for (let round = 0; round < 9 && new Set(records(out).map((r) => r.id)).size < total; round++) {
      const name = `churn-${n}`;
      const w = start();
      if (round % 3 === 0) {
        // SIGTERM while start() is still joining.
        await waitFor(() => w.stderr.join('').includes('joining the group'), { timeoutMs: 60_000 });
        w.child.kill('SIGTERM');
        expect(await w.exited).toBe(0);
        stoppedDuringStart++;
        const exitedAt = Date.now();
        await waitFor(async () => !(await members()).includes(name), { timeoutMs: 30_000 });
        leftAfterStopDuringStart.push(Date.now() - exitedAt);
      } else {
        await w.ready;
        await sleep(1_000);
        w.child.kill(round % 3 === 1 ? 'SIGKILL' : 'SIGTERM');
        await w.exited;
      }
    }
    await waitFor(() => new Set(records(out).map((r) => r.id)).size >= total, {
      timeoutMs: 240_000,
      intervalMs: 250,
    });
    const list = records(out);
    const seen = new Set(list.map((r) => r.id));
    const lost = ids.filter((id) => !seen.has(id)).length;
    const gap = longestGap(list);
    // Every stall over 5 s shows in a steady worker's log while it lasts.
    const logged = steady.some((w) =>
      logLines(w).some((line) => {
        const at = Date.parse(line.time);
        return (
          at >= gap.from &&
          at <= gap.from + gap.ms &&
          /still|rebalancing|joining|reconnecting/.test(line.msg)
        );
      }),
    );
    report('3 group churn', {
      ids: total,
      lost,
      duplicates: duplicates(list),
      'longest stall ms': gap.ms,
      'stall logged': gap.ms > 5_000 ? String(logged) : 'n/a',
      'left after stop in start ms': leftAfterStopDuringStart.join('/'),
    });
    expect(lost).toBe(0);
    expect(gap.ms).toBeLessThan(stallBoundMs);
    if (gap.ms > 5_000) expect(logged).toBe(true);
    expect(stoppedDuringStart).toBeGreaterThan(0);
    // Gone well before a session timeout would have dropped it.
    for (const ms of leftAfterStopDuringStart) expect(ms).toBeLessThan(5_000);
  });
});
