import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { linesOf, workerProcessSuite } from './helpers/child-worker.js';
import { brokers } from './helpers/kafka-env.js';

const partitions = 3;
const held = 'id-3';

/** Where the test put `id-i`: partition i % 3, offset floor(i / 3). */
function positionOf(id: string): { partition: number; offset: number } {
  const i = Number(id.slice('id-'.length));
  return { partition: i % partitions, offset: Math.floor(i / partitions) };
}

describe('crash safety', () => {
  const suite = workerProcessSuite();

  it('a worker killed with SIGKILL loses nothing, reruns its uncommitted work, and not its committed work', async () => {
    const topic = uniqueName('crash');
    const group = uniqueName('crash-g');
    const out = join(mkdtempSync(join(tmpdir(), 'tasks-crash-')), 'processed.txt');
    await suite.client.createTopic(topic, partitions);
    const ids = Array.from({ length: 400 }, (_, i) => `id-${i}`);
    // id-i goes to partition i % 3 at offset floor(i / 3): each id's position is known.
    await suite.client.producer.send({
      topic,
      messages: ids.map((id, i) => ({ key: id, value: id, partition: i % partitions })),
    });
    const env = { KAFKA_BROKERS: brokers.join(','), TOPIC: topic, GROUP: group, OUT: out };

    // The first worker never finishes `held` (partition 0, offset 1), so partition 0
    // cannot be committed past offset 1 while everything after it keeps finishing.
    const first = suite.spawn('crash-worker.ts', { ...env, HOLD: held });
    await first.ready;
    await waitFor(
      async () =>
        linesOf(out).length >= 120 &&
        [...(await suite.client.committed(group, topic)).values()].some(
          (offset) => Number(offset) > 0,
        ),
      {
        timeoutMs: 30_000,
        message: 'the first worker to be mid-stream, with some work committed',
        describe: () => `${linesOf(out).length} processed; stderr: ${first.stderr.join('')}`,
      },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeKill = linesOf(out);
    expect(beforeKill.length).toBeLessThan(ids.length);
    expect(beforeKill).not.toContain(held);
    // Dead members commit nothing: this is where the next worker starts.
    const committedAtKill = await suite.client.committed(group, topic);
    const isCommitted = (id: string) => {
      const { partition, offset } = positionOf(id);
      return offset < Number(committedAtKill.get(partition) ?? 0);
    };
    const finishedUncommitted = beforeKill.filter((id) => !isCommitted(id));
    const finishedCommitted = beforeKill.filter(isCommitted);
    // What makes the redelivery below certain rather than lucky.
    expect(Number(committedAtKill.get(positionOf(held).partition) ?? 0)).toBeLessThanOrEqual(
      positionOf(held).offset,
    );
    expect(finishedUncommitted.length).toBeGreaterThan(0);
    expect(finishedCommitted.length).toBeGreaterThan(0);

    const second = suite.spawn('crash-worker.ts', env);
    await second.ready;
    await waitFor(() => new Set(linesOf(out)).size >= ids.length, {
      timeoutMs: 60_000,
      message: 'every id to be processed',
      describe: () => `${new Set(linesOf(out)).size} distinct; stderr: ${second.stderr.join('')}`,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const processed = linesOf(out);
    const counts = new Map<string, number>();
    for (const id of processed) counts.set(id, (counts.get(id) ?? 0) + 1);
    // Nothing lost, nothing invented.
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    expect([...counts.keys()].filter((id) => !ids.includes(id))).toEqual([]);
    // At least once: every run that finished but was not committed at the kill ran again.
    expect(finishedUncommitted.filter((id) => (counts.get(id) ?? 0) < 2)).toEqual([]);
    // Committed work is not redone: the second worker resumed at the committed offsets.
    expect(finishedCommitted.filter((id) => counts.get(id) !== 1)).toEqual([]);
    console.info(
      `crash test: ${beforeKill.length} processed before SIGKILL (${finishedUncommitted.length} uncommitted), ${processed.length} runs in all`,
    );
    // The group committed everything once the second worker stopped.
    const committed = await suite.client.committed(group, topic);
    const total = [...committed.values()].reduce((sum, offset) => sum + Number(offset), 0);
    expect(total).toBe(ids.length);
  });
});
