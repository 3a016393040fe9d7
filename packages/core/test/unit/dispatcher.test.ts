import { ConfigError, ErrorCodes, type InboundMessage } from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';
import { type Deferred, deferred, flush, inbound, track, waitFor } from './support.js';

const T = 'orders';

/** A dispatcher whose handler waits, per message, until the test finishes or fails it. */
function harness(processors: number, commitInOrder = false) {
  const gates = new Map<string, Deferred>();
  const gate = (id: string) => {
    let found = gates.get(id);
    if (!found) {
      found = deferred();
      gates.set(id, found);
    }
    return found;
  };
  // Every run of an id in start order: a revoked partition's message can run again.
  const runs = new Map<string, Deferred[]>();
  const started: string[] = [];
  const running = new Map<string, number>();
  let inHandler = 0;
  let maxRunning = 0;
  const dispatcher = new Dispatcher({
    processors,
    commitInOrder,
    handler: async (message: InboundMessage) => {
      const id = `${message.partition}@${message.offset}`;
      const list = runs.get(id) ?? [];
      runs.set(id, list);
      const run = list.length === 0 ? gate(id) : deferred();
      list.push(run);
      started.push(id);
      running.set(id, (running.get(id) ?? 0) + 1);
      inHandler += 1;
      maxRunning = Math.max(maxRunning, inHandler);
      try {
        await run.promise;
      } finally {
        inHandler -= 1;
        const left = running.get(id)! - 1;
        if (left > 0) running.set(id, left);
        else running.delete(id);
      }
    },
  });
  const msg = (partition: number, offset: number) => inbound(T, offset, { partition });
  return {
    dispatcher,
    started,
    running,
    inHandler: () => inHandler,
    maxRunning: () => maxRunning,
    /** The gates of each run of `id`, in start order. */
    gatesFor: (id: string) => runs.get(id) ?? [],
    msg,
    dispatch: (partition: number, offset: number) => dispatcher.dispatch(msg(partition, offset)),
    /** Finishes the latest run of `id` (or the first, before it started). */
    finish: (id: string) => (runs.get(id)?.at(-1) ?? gate(id)).resolve(),
    fail: (id: string) => (runs.get(id)?.at(-1) ?? gate(id)).reject(new Error(`failed ${id}`)),
    committable: (partition: number) =>
      dispatcher.tracker.pending().find((p) => p.partition === partition)?.offset,
  };
}

describe('Dispatcher', () => {
  it('never has more than `processors` handlers in flight', async () => {
    const h = harness(3);
    const messages = Array.from({ length: 30 }, (_, i) => h.msg(i % 3, Math.floor(i / 3)));
    // A fetch loop: dispatch in offset order, awaiting each (backpressure).
    const feeder = (async () => {
      for (const message of messages) {
        await h.dispatcher.dispatch(message);
        expect(h.dispatcher.inFlight).toBeLessThanOrEqual(3);
      }
    })();
    for (let done = 0; done < messages.length; done++) {
      await waitFor(() => h.running.size > 0, 'a run to finish');
      // Finish the newest run first: completions come out of order.
      const newest = [...h.running.keys()].at(-1)!;
      h.finish(newest);
      await flush();
    }
    await feeder;
    await h.dispatcher.idle();
    expect(h.started).toHaveLength(30);
    expect(h.maxRunning()).toBe(3);
    expect(h.dispatcher.inFlight).toBe(0);
    expect(h.dispatcher.tracker.inFlight).toBe(0);
    expect([0, 1, 2].map((p) => h.committable(p))).toEqual([10, 10, 10]);
  });

  it('applies backpressure: dispatch() resolves only once a slot is free', async () => {
    const h = harness(2);
    await h.dispatch(0, 0);
    await h.dispatch(0, 1);
    const third = track(h.dispatch(0, 2));
    await flush();
    expect(third.settled()).toBe(false);
    expect(h.started).toEqual(['0@0', '0@1']);
    h.finish('0@1');
    await expect(third.result).resolves.toEqual({ ok: true, value: true });
    await waitFor(() => h.started.length === 3, 'the third run to start');
    expect(h.started[2]).toBe('0@2');
    expect(h.committable(0)).toBeUndefined();
  });

  it('resolves dispatch() when the run starts, not when it ends', async () => {
    const h = harness(1);
    await h.dispatch(0, 0);
    await waitFor(() => h.started.length === 1, 'the run to start');
    expect(h.running.has('0@0')).toBe(true);
    expect(h.dispatcher.inFlight).toBe(1);
    h.finish('0@0');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
  });

  it('with commitInOrder, runs one message at a time per partition, in order', async () => {
    const h = harness(8, true);
    // Fired without awaiting each call: ordering must follow call order anyway.
    const dispatches = [h.dispatch(0, 0), h.dispatch(0, 1), h.dispatch(0, 2), h.dispatch(1, 0)];
    await waitFor(() => h.started.length === 2, 'the partitions to start');
    await flush();
    expect(h.started.sort()).toEqual(['0@0', '1@0']);
    h.finish('0@0');
    await waitFor(() => h.started.includes('0@1'), '0@1 to start');
    await flush();
    expect(h.started).not.toContain('0@2');
    h.fail('0@1');
    await waitFor(() => h.started.includes('0@2'), '0@2 to start');
    h.finish('0@2');
    h.finish('1@0');
    await Promise.all(dispatches);
    await h.dispatcher.idle();
    expect(h.started.filter((id) => id.startsWith('0@'))).toEqual(['0@0', '0@1', '0@2']);
    expect(h.maxRunning()).toBe(2);
    // 0@1 failed: partition 0 stays committed below it.
    expect(h.committable(0)).toBe(1);
    expect(h.committable(1)).toBe(1);
  });

  it('with commitInOrder, other partitions proceed while one waits', async () => {
    const h = harness(4, true);
    await h.dispatch(0, 0);
    const blocked = track(h.dispatch(0, 1));
    await h.dispatch(1, 0);
    await h.dispatch(2, 0);
    await waitFor(() => h.started.length === 3, 'partitions 1 and 2 to start');
    expect(h.started).toEqual(['0@0', '1@0', '2@0']);
    expect(blocked.settled()).toBe(false);
    h.finish('1@0');
    h.finish('2@0');
    await h.dispatch(1, 1);
    await waitFor(() => h.started.includes('1@1'), '1@1 to start');
    expect(blocked.settled()).toBe(false);
    h.finish('0@0');
    await blocked.result;
    h.finish('0@1');
    h.finish('1@1');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(2);
    expect(h.committable(1)).toBe(2);
  });

  it('leaves a rejected message uncommitted, and everything after it', async () => {
    const h = harness(3);
    await h.dispatch(0, 0);
    await h.dispatch(0, 1);
    await h.dispatch(0, 2);
    h.finish('0@0');
    h.fail('0@1');
    h.finish('0@2');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
    expect(h.dispatcher.tracker.inFlight).toBe(0);
    expect(h.dispatcher.inFlight).toBe(0);
  });

  it('contains a handler that throws synchronously', async () => {
    const dispatcher = new Dispatcher({
      processors: 1,
      commitInOrder: false,
      handler: () => {
        throw new Error('sync');
      },
    });
    await dispatcher.dispatch(inbound(T, 0));
    await dispatcher.idle();
    expect(dispatcher.tracker.pending()).toEqual([]);
    expect(dispatcher.tracker.inFlight).toBe(0);
    // The slot came back.
    await dispatcher.dispatch(inbound(T, 1));
    await dispatcher.idle();
    expect(dispatcher.inFlight).toBe(0);
  });

  it('revoke() drops the results of runs in flight for that partition only', async () => {
    const h = harness(4);
    await h.dispatch(0, 0);
    await h.dispatch(1, 0);
    h.dispatcher.revoke(T, 0);
    expect(h.dispatcher.tracker.inFlight).toBe(1);
    h.finish('0@0');
    h.finish('1@0');
    await h.dispatcher.idle();
    expect(h.dispatcher.tracker.pending()).toEqual([{ topic: T, partition: 1, offset: 1 }]);
    expect(h.dispatcher.tracker.inFlight).toBe(0);
    // Reassigned: the partition is tracked afresh.
    await h.dispatch(0, 0);
    h.finish('0@0');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
  });

  it("never lets a revoked run complete the re-assigned partition's message at the same offset", async () => {
    const h = harness(2);
    await h.dispatch(0, 0);
    h.dispatcher.revoke(T, 0);
    // Re-assigned to this same dispatcher while the old run still goes: 0@0 again.
    await h.dispatch(0, 0);
    expect(h.started).toEqual(['0@0', '0@0']);
    const [oldRun] = h.gatesFor('0@0');
    oldRun!.resolve();
    await waitFor(() => h.inHandler() === 1, 'the old run to settle');
    await flush();
    // The old owner's run finished: the new run of 0@0 still goes, so nothing may be committed.
    expect(h.dispatcher.tracker.pending()).toEqual([]);
    expect(h.dispatcher.tracker.inFlight).toBe(1);
    h.gatesFor('0@0')[1]!.resolve();
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
  });

  it('never lets a revoked run that fails hold back the re-assigned partition', async () => {
    const h = harness(2);
    await h.dispatch(0, 0);
    h.dispatcher.revoke(T, 0);
    await h.dispatch(0, 0);
    h.gatesFor('0@0')[0]!.reject(new Error('old run failed'));
    await waitFor(() => h.inHandler() === 1, 'the old run to settle');
    // The new run of 0@0 is the one that counts: it finishes, so 0 commits up to 1.
    h.gatesFor('0@0')[1]!.resolve();
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
    expect(h.dispatcher.tracker.inFlight).toBe(0);
  });

  it('keeps the processor of a revoked run until that run settles', async () => {
    const h = harness(1);
    await h.dispatch(0, 0);
    h.dispatcher.revoke(T, 0);
    // The revoked run still occupies the only processor: the new owner's dispatch waits.
    const again = track(h.dispatch(0, 0));
    await flush();
    expect(again.settled()).toBe(false);
    expect(h.dispatcher.inFlight).toBe(1);
    h.gatesFor('0@0')[0]!.resolve();
    await again.result;
    await waitFor(() => h.started.length === 2, 'the new run to start');
    expect(h.maxRunning()).toBe(1);
    expect(h.dispatcher.tracker.pending()).toEqual([]);
    h.gatesFor('0@0')[1]!.resolve();
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
  });

  it('with commitInOrder, the re-assigned partition waits for the revoked run and commits only its own', async () => {
    const h = harness(4, true);
    await h.dispatch(0, 0);
    h.dispatcher.revoke(T, 0);
    const again = track(h.dispatch(0, 0));
    await flush();
    // Never two runs of one partition at once, even across a revocation.
    expect(again.settled()).toBe(false);
    h.gatesFor('0@0')[0]!.resolve();
    await again.result;
    await waitFor(() => h.started.length === 2, 'the new run to start');
    expect(h.dispatcher.tracker.pending()).toEqual([]);
    h.gatesFor('0@0')[1]!.resolve();
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(1);
  });

  it('does not run a message whose partition was revoked while it waited for a slot', async () => {
    const h = harness(1);
    await h.dispatch(1, 0);
    const waiting = track(h.dispatch(0, 5));
    await flush();
    h.dispatcher.revoke(T, 0);
    // At once, not when a processor frees up: the fetch loop must not sit on a revoked partition.
    await flush();
    expect(waiting.settled()).toBe(true);
    h.finish('1@0');
    // Resolves false: the caller learns the message never started (and frees what it holds for it).
    await expect(waiting.result).resolves.toEqual({ ok: true, value: false });
    await h.dispatcher.idle();
    expect(h.started).toEqual(['1@0']);
    expect(h.dispatcher.tracker.inFlight).toBe(0);
    // Reassigned at a later offset (another member committed meanwhile): commits move again.
    await h.dispatch(0, 7);
    h.finish('0@7');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(8);
  });

  it('rejects a waiting dispatch that went backwards when its turn comes, and goes on', async () => {
    const h = harness(1);
    await h.dispatch(0, 0);
    const five = h.dispatch(0, 5);
    const three = h.dispatch(0, 3);
    three.catch(() => {});
    h.finish('0@0');
    await five;
    h.finish('0@5');
    await expect(three).rejects.toMatchObject({ code: ErrorCodes.OffsetOutOfOrder });
    const six = h.dispatch(0, 6);
    await six;
    h.finish('0@6');
    await h.dispatcher.idle();
  });

  it('rejects an offset that goes backwards without losing a processor', async () => {
    const h = harness(1);
    await h.dispatch(0, 5);
    h.finish('0@5');
    await h.dispatcher.idle();
    await expect(h.dispatch(0, 3)).rejects.toMatchObject({ code: ErrorCodes.OffsetOutOfOrder });
    const next = track(h.dispatch(0, 6));
    await waitFor(() => next.settled(), 'the next dispatch to start', 500);
    h.finish('0@6');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(7);
  });

  it('idle() waits for every run started, including ones started meanwhile', async () => {
    const h = harness(1);
    await expect(h.dispatcher.idle()).resolves.toBeUndefined();
    await h.dispatch(0, 0);
    const queued = h.dispatch(0, 1);
    const idle = track(h.dispatcher.idle());
    h.finish('0@0');
    await queued;
    await flush();
    expect(idle.settled()).toBe(false);
    h.finish('0@1');
    await idle.result;
    expect(h.committable(0)).toBe(2);
  });

  it('tryDispatch() starts at once while a processor is free, and says no without waiting once none is', async () => {
    const h = harness(2);
    const state = h.dispatcher.partition(T, 0);
    expect(h.dispatcher.tryDispatch(state, h.msg(0, 0))).toBe(true);
    // Started synchronously: the handler already runs.
    expect(h.started).toEqual(['0@0']);
    expect(h.dispatcher.tryDispatch(state, h.msg(0, 1), 1)).toBe(true);
    expect(h.dispatcher.tryDispatch(state, h.msg(0, 2), 2)).toBe(false);
    expect(h.started).toEqual(['0@0', '0@1']);
    expect(h.dispatcher.inFlight).toBe(2);
    h.finish('0@0');
    await waitFor(() => h.dispatcher.inFlight === 1, 'a processor to free');
    expect(h.dispatcher.tryDispatch(state, h.msg(0, 2), 2)).toBe(true);
    h.finish('0@1');
    h.finish('0@2');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(3);
  });

  it('tryDispatch() lets a waiting dispatch of the same partition go first', async () => {
    const h = harness(1);
    await h.dispatch(0, 0);
    const waiting = track(h.dispatch(0, 1));
    h.finish('0@0');
    // The processor is handed to the waiter when the run settles, before anyone else can ask.
    await waitFor(() => waiting.settled(), 'the waiting dispatch to start');
    const state = h.dispatcher.partition(T, 0);
    expect(h.dispatcher.tryDispatch(state, h.msg(0, 2), 2)).toBe(false);
    expect(h.started).toEqual(['0@0', '0@1']);
    h.finish('0@1');
    await h.dispatcher.idle();
  });

  it('with commitInOrder, tryDispatch() says no while its partition runs, yes for another', async () => {
    const h = harness(4, true);
    const p0 = h.dispatcher.partition(T, 0);
    expect(h.dispatcher.tryDispatch(p0, h.msg(0, 0))).toBe(true);
    expect(h.dispatcher.tryDispatch(p0, h.msg(0, 1))).toBe(false);
    expect(h.dispatcher.tryDispatch(h.dispatcher.partition(T, 1), h.msg(1, 0))).toBe(true);
    h.finish('0@0');
    await waitFor(() => p0.running === 0, 'partition 0 to settle');
    expect(h.dispatcher.tryDispatch(p0, h.msg(0, 1))).toBe(true);
    h.finish('0@1');
    h.finish('1@0');
    await h.dispatcher.idle();
    expect(h.maxRunning()).toBe(2);
  });

  it('shares freed processors among the partitions waiting in ready(), oldest waiter first', async () => {
    // Two fetch loops, as a transport runs them: hand out synchronously, and
    // await ready() only when every processor is busy.
    const h = harness(1);
    const loop = async (partition: number) => {
      const state = h.dispatcher.partition(T, partition);
      for (let offset = 0; offset < 4; offset++) {
        while (!h.dispatcher.tryDispatch(state, h.msg(partition, offset), offset)) {
          await h.dispatcher.ready(state, new AbortController().signal);
        }
      }
    };
    const loops = Promise.all([loop(0), loop(1)]);
    await waitFor(() => h.started.length === 1);
    for (let n = 1; n < 8; n++) {
      h.finish(h.started.at(-1)!);
      await waitFor(() => h.started.length === n + 1);
    }
    h.finish(h.started.at(-1)!);
    await loops;
    // Partition 0's loop started first and queued first (for 0@1); from then on
    // each freed processor goes to the partition that has waited longest, so
    // no partition's batch starves the others until it is through.
    expect(h.started).toEqual(['0@0', '0@1', '1@0', '0@2', '1@1', '0@3', '1@2', '1@3']);
  });

  it('ready() resolves once tryDispatch may succeed, holding nothing; false when given up or revoked', async () => {
    const h = harness(1);
    const p0 = h.dispatcher.partition(T, 0);
    const p1 = h.dispatcher.partition(T, 1);
    await expect(h.dispatcher.ready(p0, new AbortController().signal)).resolves.toBe(true);
    expect(h.dispatcher.tryDispatch(p0, h.msg(0, 0))).toBe(true);

    const abandon = new AbortController();
    const abandoned = track(h.dispatcher.ready(p0, abandon.signal));
    const revoked = track(h.dispatcher.ready(p1, new AbortController().signal));
    const ready = track(h.dispatcher.ready(p0, new AbortController().signal));
    abandon.abort();
    await expect(abandoned.result).resolves.toEqual({ ok: true, value: false });
    await expect(h.dispatcher.ready(p0, abandon.signal)).resolves.toBe(false);
    h.dispatcher.revoke(T, 1);
    await expect(revoked.result).resolves.toEqual({ ok: true, value: false });
    await flush();
    expect(ready.settled()).toBe(false);

    h.finish('0@0');
    await expect(ready.result).resolves.toEqual({ ok: true, value: true });
    // It held nothing: the processor is still free for whoever asks first.
    expect(h.dispatcher.inFlight).toBe(0);
    expect(h.dispatcher.tryDispatch(p0, h.msg(0, 1))).toBe(true);
    h.finish('0@1');
    await h.dispatcher.idle();
    expect(h.committable(0)).toBe(2);
  });

  it("with commitInOrder, ready() waits for its partition's run, not for another's", async () => {
    const h = harness(4, true);
    const p0 = h.dispatcher.partition(T, 0);
    const p1 = h.dispatcher.partition(T, 1);
    h.dispatcher.tryDispatch(p0, h.msg(0, 0));
    h.dispatcher.tryDispatch(p1, h.msg(1, 0));
    const ready = track(h.dispatcher.ready(p0, new AbortController().signal));
    h.finish('1@0');
    await waitFor(() => p1.running === 0, 'partition 1 to settle');
    await flush();
    expect(ready.settled()).toBe(false);
    h.finish('0@0');
    await expect(ready.result).resolves.toEqual({ ok: true, value: true });
  });

  it('rejects processors that are not a whole number of at least 1', () => {
    for (const processors of [0, -1, 1.5, Number.NaN]) {
      const make = () =>
        new Dispatcher({ processors, commitInOrder: false, handler: async () => {} });
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(/^invalid Dispatcher options/);
      expect(make).toThrow(`processors: must be a whole number >= 1, got ${processors}`);
    }
  });
});
