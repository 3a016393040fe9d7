import { ShutdownError } from '@tasks/core';
import { expect, it } from 'vitest';
import type { HarnessMessage } from '../../harness/types.js';
import { Inbox, valueText } from '../fixture.js';
import { type CaseContext, ids, missing } from './shared.js';

/** `count` messages spread over `partitions` partitions explicitly (round robin). */
function spread(prefix: string, count: number, partitions: number): HarnessMessage[] {
  return ids(prefix, count).map((value, i) => ({ value, partition: i % partitions }));
}

function endOffsets(count: number, partitions: number): Map<number, string> {
  return new Map(
    Array.from({ length: partitions }, (_, p) => [
      p,
      String(Math.floor(count / partitions) + (p < count % partitions ? 1 : 0)),
    ]),
  );
}

export function commitCases({ fixture }: CaseContext): void {
  it('commits the end offsets when asked once every handler resolved', async () => {
    const f = fixture();
    const topic = await f.topic(3);
    const group = f.name('group');
    await f.produce(topic, spread('m', 15, 3));
    const inbox = new Inbox();
    const consumer = await f.consumer(f.conf(topic, group), inbox.handler());
    await f.until(() => inbox.finishedValues().size >= 15, '15 finished messages');

    await consumer.transport.commit();
    expect(new Map(await f.committed(group, topic))).toEqual(endOffsets(15, 3));
  });

  it('commits what finished when it stops', async () => {
    const f = fixture();
    const topic = await f.topic(3);
    const group = f.name('group');
    await f.produce(topic, spread('m', 10, 3));
    const inbox = new Inbox();
    const consumer = await f.consumer(f.conf(topic, group), inbox.handler());
    await f.until(() => inbox.finishedValues().size >= 10, '10 finished messages');

    await f.stop(consumer);
    expect(new Map(await f.committed(group, topic))).toEqual(endOffsets(10, 3));
  });

  it('never commits past a message whose handler is still running', async () => {
    const f = fixture();
    const topic = await f.topic(1);
    const group = f.name('group');
    const held = f.gate();
    await f.produce(
      topic,
      ids('m', 6).map((value) => ({ value })),
    );
    const inbox = new Inbox();
    const consumer = await f.consumer(
      f.conf(topic, group, { processors: 8 }),
      inbox.handler((m) => (m.offset === '2' ? held.promise : undefined)),
    );
    await f.until(
      () => inbox.finished.length >= 5,
      'every message but the held one to finish',
      () => `finished offsets [${inbox.finished.map((m) => m.offset).join(', ')}]`,
    );

    await consumer.transport.commit();
    expect((await f.committed(group, topic)).get(0)).toBe('2');

    held.resolve();
    await f.until(() => inbox.finished.length >= 6, 'the held message to finish');
    await consumer.transport.commit();
    expect((await f.committed(group, topic)).get(0)).toBe('6');
  });

  it('does not commit a message whose handler rejected, and the group gets it again', async () => {
    const f = fixture();
    const topic = await f.topic(1);
    const group = f.name('group');
    await f.produce(
      topic,
      ids('m', 3).map((value) => ({ value })),
    );
    const first = new Inbox();
    const stopping = await f.consumer(
      f.conf(topic, group),
      first.handler((m) => {
        // What core's handler does for a run cut short by shutdown.
        if (m.offset === '1') throw new ShutdownError();
      }),
    );
    await f.until(
      () => first.received.length >= 3,
      'the first consumer to handle all 3',
      () => `received ${first.received.length}`,
    );
    await f.stop(stopping);
    expect((await f.committed(group, topic)).get(0)).toBe('1');

    const second = new Inbox();
    const next = await f.consumer(f.conf(topic, group), second.handler());
    await f.until(
      () => second.finished.length >= 2,
      'the rejected message and the one after it, again',
      () => `received offsets [${second.received.map((m) => m.offset).join(', ')}]`,
    );
    expect(second.received.slice(0, 2).map((m) => m.offset)).toEqual(['1', '2']);
    expect(second.received.map(valueText)).not.toContain('m-0');
    await f.stop(next);
    expect((await f.committed(group, topic)).get(0)).toBe('3');
  });

  it('hands every uncommitted message of a crashed member to the next one', async () => {
    const f = fixture();
    const topic = await f.topic(2);
    const group = f.name('group');
    const all = ids('m', 10);
    await f.produce(topic, spread('m', 10, 2));
    const never = f.gate();
    const crashing = new Inbox();
    // Offsets 0 and 1 of each partition finish; the rest stay in flight until the crash.
    const doomed = await f.consumer(
      f.conf(topic, group, { processors: 16 }),
      crashing.handler((m) => (Number(m.offset) >= 2 ? never.promise : undefined)),
    );
    await f.until(
      () => crashing.received.length >= 10,
      'the first member to start all 10',
      () => `started ${crashing.received.length}`,
    );
    await f.crash(doomed);

    const survivor = new Inbox();
    const next = await f.consumer(f.conf(topic, group), survivor.handler());
    const inFlightAtCrash = crashing.received.filter((m) => Number(m.offset) >= 2).map(valueText);
    await f.until(
      () => inFlightAtCrash.every((id) => survivor.finishedValues().has(id)),
      'the next member to finish every message in flight at the crash',
      () => missing(inFlightAtCrash, survivor.finishedValues()),
    );
    const done = new Set([...crashing.finishedValues(), ...survivor.finishedValues()]);
    expect(all.filter((id) => !done.has(id))).toEqual([]);
    await f.stop(next);
    expect(new Map(await f.committed(group, topic))).toEqual(endOffsets(10, 2));
  });
}
