import { DeadLetterHeaders, type InboundMessage, type ITask, replayCountHeader } from '@tasks/core';
import { expect, it } from 'vitest';
import type { HarnessMessage } from '../../harness/types.js';
import { type ContractFixture, valueText } from '../fixture.js';
import { type CaseContext, ids, missing } from './shared.js';

const text = (bytes: Buffer | null | undefined) => bytes?.toString('utf8');

/** Retries and dead-letter writes fast enough for a test, slow enough to be seen. */
const serverOptions = {
  retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 5 },
  deadLetters: { initialDelayMs: 20, maxDelayMs: 200 },
} as const;

/** Each partition's record count: the offset a group that finished everything has committed. */
function endsOf(records: readonly InboundMessage[]): Map<number, string> {
  const ends = new Map<number, number>();
  for (const r of records)
    ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, Number(r.offset) + 1));
  return new Map([...ends].map(([p, end]) => [p, String(end)]));
}

/** Waits until the group committed every partition of `topic` to its end. */
async function committedToTheEnd(f: ContractFixture, group: string, topic: string): Promise<void> {
  const ends = endsOf(await f.harness.readTopic!(topic));
  let seen = new Map<number, string>();
  await f.until(
    async () => {
      seen = new Map(await f.committed(group, topic));
      return [...ends].every(([p, end]) => seen.get(p) === end);
    },
    'every partition committed to its end (no partition stalls)',
    () => `ends ${JSON.stringify([...ends])}, committed ${JSON.stringify([...seen])}`,
  );
}

/** A task that fails every attempt for the ids in `poison` (until fixed), recording the runs that succeeded. */
function poisonTask(poison: ReadonlySet<string>, fixed: ReadonlySet<string>) {
  const succeeded = new Map<string, Array<{ headers: InboundMessage['headers'] }>>();
  const task: ITask = {
    run(ctx, _key, value) {
      if (poison.has(value) && !fixed.has(value)) throw new TypeError(`poison ${value}`);
      const runs = succeeded.get(value) ?? [];
      runs.push({ headers: ctx.headers });
      succeeded.set(value, runs);
    },
    stop() {},
  };
  return { task, succeeded };
}

export function deadLetterCases({ fixture }: CaseContext): void {
  it('1% poison messages each land in the dead-letter topic with their headers, everything else completes, no partition stalls; a replay after the fix completes them', async (ctx) => {
    const f = fixture();
    const { readTopic, replay } = f.harness;
    if (!readTopic || !replay) return ctx.skip();
    const topic = await f.topic(4);
    const dlq = `${topic}.dlq`;
    await f.harness.createTopic(dlq, 2);
    const group = f.name('group');
    const all = ids('m', 400);
    const poison = new Set(all.filter((_, i) => i % 100 === 37));
    const keyOf = (id: string) => `k-${all.indexOf(id) % 41}`;
    const sent: HarnessMessage[] = all.map((id) => ({
      key: keyOf(id),
      value: id,
      headers: { 'x-id': id },
    }));
    await f.produce(topic, sent);

    const fixed = new Set<string>();
    const { task, succeeded } = poisonTask(poison, fixed);
    // Where each id was consumed from, by its run events.
    const where = new Map<string, string>();
    const server = await f.server(
      f.conf(topic, group, { ordering: 'key', processors: 8 }),
      task,
      serverOptions,
      (event) => where.set(valueText(event.message), `${event.partition}@${event.offset}`),
    );
    const healthy = all.filter((id) => !poison.has(id));
    await f.until(
      () => healthy.every((id) => succeeded.has(id)) && server.stats.deadLettered === poison.size,
      'every healthy id run and every poison id dead-lettered',
      () =>
        `${missing(healthy, new Set(succeeded.keys()))}; dead letters ${server.stats.deadLettered}`,
    );
    const letters = await readTopic(dlq);
    expect(letters.map(valueText).sort()).toEqual([...poison].sort());
    for (const letter of letters) {
      const id = valueText(letter);
      const h = letter.headers;
      expect(text(letter.key)).toBe(keyOf(id));
      expect(text(h['x-id'])).toBe(id);
      expect(text(h[DeadLetterHeaders.topic])).toBe(topic);
      expect(`${text(h[DeadLetterHeaders.partition])}@${text(h[DeadLetterHeaders.offset])}`).toBe(
        where.get(id),
      );
      expect(text(h[DeadLetterHeaders.key])).toBe(keyOf(id));
      expect(text(h[DeadLetterHeaders.task])).toBe('work');
      expect(text(h[DeadLetterHeaders.group])).toBe(group);
      expect(text(h[DeadLetterHeaders.errorName])).toBe('TypeError');
      expect(text(h[DeadLetterHeaders.errorMessage])).toBe(`poison ${id}`);
      expect(text(h[DeadLetterHeaders.attempts])).toBe('2');
      expect(Date.parse(text(h[DeadLetterHeaders.lastFailure]) ?? '')).toBeGreaterThanOrEqual(
        Date.parse(text(h[DeadLetterHeaders.firstFailure]) ?? ''),
      );
    }
    await committedToTheEnd(f, group, topic);
    expect(server.status().heldDeadLetters).toEqual([]);

    // The fix, then the replay: each poison id completes, carrying its replay count.
    for (const id of poison) fixed.add(id);
    const dry = await replay(dlq, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, matched: poison.size, sent: 0 });
    const result = await replay(dlq, { filter: { taskKeys: ['work'] } });
    expect(result).toMatchObject({ matched: poison.size, sent: poison.size, notDeadLetters: 0 });
    await f.until(
      () => [...poison].every((id) => succeeded.has(id)),
      'every poison id run after the replay',
      () => missing(poison, new Set(succeeded.keys())),
    );
    for (const id of poison) {
      const [run] = succeeded.get(id)!;
      expect(text(run!.headers[replayCountHeader])).toBe('1');
      expect(text(run!.headers['x-id'])).toBe(id);
      expect(Object.keys(run!.headers).some((h) => h.startsWith('tasks.dlq.'))).toBe(false);
    }
    // Every id succeeded exactly once: the dry run sent nothing, nothing ran twice.
    for (const id of all) expect(succeeded.get(id), id).toHaveLength(1);
    await committedToTheEnd(f, group, topic);
    expect(await readTopic(dlq)).toHaveLength(poison.size);
  });

  it('a dead-letter topic that cannot be written holds the partition at the message (nothing past it committed) and resumes once it can', async (ctx) => {
    const f = fixture();
    const { readTopic, refuseWrites } = f.harness;
    if (!readTopic || !refuseWrites) return ctx.skip();
    const topic = await f.topic(1);
    const dlq = `${topic}.dlq`;
    await f.harness.createTopic(dlq, 1);
    const group = f.name('group');
    const poison = new Set(['bad']);
    const { task, succeeded } = poisonTask(poison, new Set());
    const server = await f.server(f.conf(topic, group), task, serverOptions);
    const accept = await refuseWrites(dlq);
    await f.produce(
      topic,
      ['ok-0', 'bad', 'ok-1', 'ok-2', 'ok-3', 'ok-4'].map((value) => ({ value })),
    );
    await f.until(
      () => succeeded.size === 5 && (server.status().heldDeadLetters[0]?.attempts ?? 0) >= 2,
      'the others done and the dead letter tried twice',
      () =>
        `succeeded ${[...succeeded.keys()]}; held ${JSON.stringify(server.status().heldDeadLetters)}`,
    );
    expect(server.status().heldDeadLetters[0]).toMatchObject({
      topic,
      partition: 0,
      offset: '1',
      deadLetterTopic: dlq,
    });
    // The commit reaches the held message and never passes it.
    await f.until(
      async () => (await f.committed(group, topic)).get(0) === '1',
      'committed up to the held message',
    );
    await server.status();
    expect(await readTopic(dlq)).toHaveLength(0);
    expect((await f.committed(group, topic)).get(0)).toBe('1');

    await accept();
    await f.until(
      () => server.status().heldDeadLetters.length === 0 && server.stats.deadLettered === 1,
      'the dead letter written',
      () => JSON.stringify(server.status().heldDeadLetters),
    );
    await committedToTheEnd(f, group, topic);
    expect((await readTopic(dlq)).map(valueText)).toEqual(['bad']);
    expect(server.stats.failed).toBe(1);
  });

  it('a held dead letter pauses its partition at maxUncommitted messages begun above the watermark, the other partition flows, and every message completes once when the letter is written', async (ctx) => {
    const f = fixture();
    const { readTopic, refuseWrites } = f.harness;
    if (!readTopic || !refuseWrites) return ctx.skip();
    const topic = await f.topic(2);
    const dlq = `${topic}.dlq`;
    await f.harness.createTopic(dlq, 1);
    const group = f.name('group');
    const bound = 20;
    const held = ids('p0', 200);
    const other = ids('p1', 100);
    // p0-1 fails for good; its dead letter cannot be written, so it holds partition 0.
    const { task, succeeded } = poisonTask(new Set(['p0-1']), new Set());
    const server = await f.server(
      f.conf(topic, group, { processors: 4, maxUncommitted: bound }),
      task,
      serverOptions,
    );
    const accept = await refuseWrites(dlq);
    await f.produce(topic, [
      ...held.map((value) => ({ value, partition: 0 })),
      ...other.map((value) => ({ value, partition: 1 })),
    ]);
    const heldPartitions = () => server.status().consumers.flatMap((c) => c.heldPartitions ?? []);
    const done = (list: readonly string[]) => list.filter((id) => succeeded.has(id)).length;
    await f.until(
      () =>
        done(other) === other.length &&
        server.status().heldDeadLetters.length === 1 &&
        heldPartitions()[0]?.offset === '1' &&
        heldPartitions()[0]?.uncommitted === bound,
      'partition 1 done, partition 0 held at the bound behind its dead letter',
      () =>
        `p0 ${done(held)}, p1 ${done(other)}; held ${JSON.stringify(heldPartitions())}; letters ${server.status().heldDeadLetters.length}`,
    );
    // Offset 0, then offsets 1 (the held run) to 20: the bound's 20 begun above the watermark.
    expect(heldPartitions()).toEqual([
      { topic, partition: 0, offset: '1', since: expect.any(Number), uncommitted: bound },
    ]);
    expect(done(held)).toBe(bound);
    await f.until(
      async () => (await f.committed(group, topic)).get(1) === String(other.length),
      'partition 1 committed to its end while partition 0 is held',
    );
    expect(done(held)).toBe(bound);
    expect((await f.committed(group, topic)).get(0)).toBe('1');

    await accept();
    await f.until(
      () => done(held) === held.length - 1 && server.stats.deadLettered === 1,
      'partition 0 resumed to its end and the dead letter written',
      () => `p0 ${done(held)} of ${held.length - 1}; letters ${server.stats.deadLettered}`,
    );
    await committedToTheEnd(f, group, topic);
    expect(heldPartitions()).toEqual([]);
    // Nothing lost, nothing run twice.
    for (const id of [...held, ...other]) {
      if (id !== 'p0-1') expect(succeeded.get(id), id).toHaveLength(1);
    }
    expect((await readTopic(dlq)).map(valueText)).toEqual(['p0-1']);
  });
}
