import type { InboundMessage } from '@tasks/core';
import { Dispatcher, type Ordering } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';
import { type Deferred, deferred, flush, inbound, waitFor } from './support.js';

const T = 'orders';

/** A dispatcher whose runs wait until the test finishes them; keys come from `keyText`. */
function keyed(processors: number, ordering: Ordering = 'key', maxParked?: number) {
  const gates = new Map<string, Deferred>();
  const gate = (id: string) => {
    let found = gates.get(id);
    if (!found) {
      found = deferred();
      gates.set(id, found);
    }
    return found;
  };
  const started: string[] = [];
  const runningKeys = new Map<string, number>();
  let inHandler = 0;
  let maxInHandler = 0;
  let maxSameKey = 0;
  const dispatcher = new Dispatcher({
    processors,
    ordering,
    ...(maxParked === undefined ? {} : { maxParked }),
    handler: async (message: InboundMessage) => {
      const id = `${message.partition}@${message.offset}`;
      const key = `${message.partition}/${message.key?.toString() ?? '<null>'}`;
      started.push(id);
      inHandler += 1;
      maxInHandler = Math.max(maxInHandler, inHandler);
      const now = (runningKeys.get(key) ?? 0) + 1;
      runningKeys.set(key, now);
      maxSameKey = Math.max(maxSameKey, now);
      try {
        await gate(id).promise;
      } finally {
        inHandler -= 1;
        runningKeys.set(key, runningKeys.get(key)! - 1);
      }
    },
  });
  const msg = (partition: number, offset: number, key: string | undefined) =>
    inbound(T, offset, { partition, ...(key === undefined ? {} : { keyText: key }) });
  return {
    dispatcher,
    started,
    inHandler: () => inHandler,
    maxInHandler: () => maxInHandler,
    maxSameKey: () => maxSameKey,
    /** Offers a message the way the Kafka fetch loop does: tryDispatch, else wait for `ready`. */
    offer: async (partition: number, offset: number, key: string | undefined) => {
      const state = dispatcher.partition(T, partition);
      const message = msg(partition, offset, key);
      const never = new AbortController().signal;
      while (!dispatcher.tryDispatch(state, message, offset)) {
        if (!(await dispatcher.ready(state, never))) return false;
      }
      return true;
    },
    dispatch: (partition: number, offset: number, key: string | undefined) =>
      dispatcher.dispatch(msg(partition, offset, key)),
    finish: (partition: number, offset: number) => gate(`${partition}@${offset}`).resolve(),
    fail: (partition: number, offset: number) =>
      gate(`${partition}@${offset}`).reject(new Error('failed')),
    committable: (partition: number) =>
      dispatcher.tracker.pending().find((p) => p.partition === partition)?.offset,
  };
}

describe("Dispatcher, ordering: 'key'", () => {
  it('runs different keys of one partition at once, and one key after another', async () => {
    const h = keyed(4);
    expect(await h.offer(0, 0, 'a')).toBe(true);
    expect(await h.offer(0, 1, 'a')).toBe(true);
    expect(await h.offer(0, 2, 'b')).toBe(true);
    expect(await h.offer(0, 3, 'a')).toBe(true);
    await flush();
    // 0@1 waits behind 0@0 (same key) without blocking 0@2 (another key).
    expect(h.started).toEqual(['0@0', '0@2']);
    h.finish(0, 0);
    await waitFor(() => h.started.length === 3, 'the next run of key a');
    expect(h.started[2]).toBe('0@1');
    h.finish(0, 1);
    await waitFor(() => h.started.length === 4, 'the third run of key a');
    expect(h.started[3]).toBe('0@3');
    h.finish(0, 2);
    h.finish(0, 3);
    await h.dispatcher.idle();
    expect(h.maxSameKey()).toBe(1);
    expect(h.committable(0)).toBe(4);
  });

  it('runs null keys of a partition in offset order, and other partitions beside them', async () => {
    const h = keyed(4);
    await h.offer(0, 0, undefined);
    await h.offer(0, 1, undefined);
    await h.offer(1, 0, undefined);
    await flush();
    expect(h.started).toEqual(['0@0', '1@0']);
    h.finish(0, 0);
    await waitFor(() => h.started.length === 3, 'the second keyless message');
    expect(h.started[2]).toBe('0@1');
    h.finish(0, 1);
    h.finish(1, 0);
    await h.dispatcher.idle();
    expect(h.maxSameKey()).toBe(1);
  });

  it('never commits past a message parked behind its key, even when later ones finished', async () => {
    const h = keyed(4);
    await h.offer(0, 0, 'a');
    await h.offer(0, 1, 'a'); // parked
    await h.offer(0, 2, 'b');
    h.finish(0, 2);
    await waitFor(() => h.inHandler() === 1, 'b to finish');
    expect(h.committable(0)).toBeUndefined();
    h.finish(0, 0);
    await waitFor(() => h.committable(0) === 1, 'the watermark to reach the parked message');
    // 0@1 runs now and 0@2 is done, yet nothing past 0@1 is committable until it finishes.
    expect(h.committable(0)).toBe(1);
    h.finish(0, 1);
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(3);
  });

  it('keeps at most `processors` runs in flight, parked ones included', async () => {
    const h = keyed(2);
    const finished = new Set<string>();
    const feeder = (async () => {
      for (let offset = 0; offset < 20; offset++) await h.offer(0, offset, `k${offset % 5}`);
    })();
    for (let done = 0; done < 20; done++) {
      await waitFor(() => h.inHandler() > 0, 'a run');
      const next = h.started.find((id, i) => h.started.indexOf(id) === i && !finished.has(id))!;
      finished.add(next);
      h.finish(0, Number(next.split('@')[1]));
      await flush();
    }
    await feeder;
    await h.dispatcher.idle();
    expect(h.maxInHandler()).toBe(2);
    expect(h.maxSameKey()).toBe(1);
    expect(h.committable(0)).toBe(20);
  });
  it('stops taking messages once `maxParked` wait behind busy keys', async () => {
    const h = keyed(4, 'key', 2);
    await h.offer(0, 0, 'a');
    await h.offer(0, 1, 'a');
    await h.offer(0, 2, 'a');
    const third = h.offer(0, 3, 'a');
    let settled = false;
    void third.then(() => {
      settled = true;
    });
    await flush();
    expect(settled).toBe(false);
    h.finish(0, 0);
    await third;
    h.finish(0, 1);
    h.finish(0, 2);
    h.finish(0, 3);
    await h.dispatcher.idle();
    expect(h.started).toEqual(['0@0', '0@1', '0@2', '0@3']);
  });

  it('dispatch() keeps offset order within a partition while the oldest waits for a processor', async () => {
    const h = keyed(1);
    await h.dispatch(0, 0, 'a');
    // 0@1 (key b) needs a processor; 0@2 (key a) could park, but must not begin before 0@1.
    const b = h.dispatch(0, 1, 'b');
    const a = h.dispatch(0, 2, 'a');
    await flush();
    h.finish(0, 0);
    await b;
    // Key a is free again, so 0@2 needs the one processor 0@1 holds.
    await flush();
    expect(h.started).toEqual(['0@0', '0@1']);
    h.finish(0, 1);
    await a;
    await waitFor(() => h.started.length === 3, 'key a again');
    h.finish(0, 2);
    await h.dispatcher.idle();
    expect(h.started).toEqual(['0@0', '0@1', '0@2']);
    expect(h.committable(0)).toBe(3);
  });

  it('drops parked messages of a revoked partition; the new owner waits for the old run of the key', async () => {
    const h = keyed(4);
    await h.offer(0, 0, 'a');
    await h.offer(0, 1, 'a'); // parked
    h.dispatcher.revoke(T, 0);
    // Reassigned: the same key arrives again while the revoked run is still in flight.
    await h.offer(0, 1, 'a');
    await flush();
    expect(h.started).toEqual(['0@0']);
    h.finish(0, 0);
    await waitFor(() => h.started.length === 2, 'the new generation run');
    expect(h.started).toEqual(['0@0', '0@1']);
    h.finish(0, 1);
    await h.dispatcher.idle();
    expect(h.maxSameKey()).toBe(1);
    // Only the new generation's message counts: offset 1 done, commit 2.
    expect(h.committable(0)).toBe(2);
  });

  it('a failed run releases its key and stays uncommitted', async () => {
    const h = keyed(2);
    await h.offer(0, 0, 'a');
    await h.offer(0, 1, 'a');
    h.fail(0, 0);
    await waitFor(() => h.started.length === 2, 'the next run of key a');
    h.finish(0, 1);
    await h.dispatcher.idle();
    expect(h.committable(0)).toBeUndefined();
  });
});

describe("Dispatcher, ordering: 'partition' and 'unordered'", () => {
  it("'partition' runs one message at a time per partition whatever the keys", async () => {
    const h = keyed(4, 'partition');
    await h.offer(0, 0, 'a');
    const second = h.offer(0, 1, 'b');
    await flush();
    expect(h.started).toEqual(['0@0']);
    h.finish(0, 0);
    await second;
    await waitFor(() => h.started.length === 2, 'the second run');
    h.finish(0, 1);
    await h.dispatcher.idle();
  });

  it("'unordered' runs the same key at once", async () => {
    const h = keyed(4, 'unordered');
    await h.offer(0, 0, 'a');
    await h.offer(0, 1, 'a');
    await flush();
    expect(h.started).toEqual(['0@0', '0@1']);
    h.finish(0, 0);
    h.finish(0, 1);
    await h.dispatcher.idle();
    expect(h.maxSameKey()).toBe(2);
  });
});

describe('Dispatcher.settled (revocation grace)', () => {
  it("resolves true once the partition's runs ended, false when the bound passes first", async () => {
    const h = keyed(4, 'unordered');
    await h.offer(0, 0, 'a');
    await h.offer(1, 0, 'a');
    const bounded = await h.dispatcher.settled(T, 0, 20);
    expect(bounded).toBe(false);
    const settling = h.dispatcher.settled(T, 0, 60_000);
    // Another partition's run ending does not count.
    h.finish(1, 0);
    await flush();
    let done = false;
    void settling.then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false);
    h.finish(0, 0);
    await expect(settling).resolves.toBe(true);
    await expect(h.dispatcher.settled(T, 0, 1)).resolves.toBe(true);
  });
});
