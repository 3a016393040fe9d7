import { ConfigError, defaultMaxUncommitted, ErrorCodes, type InboundMessage } from '@tasks/core';
import { Dispatcher, type DispatcherOptions, PartitionState } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';
import { type Deferred, deferred, flush, inbound, waitFor } from './support.js';

const T = 'orders';

/**
 * A dispatcher whose handler finishes every message at once except the ones
 * the test holds (by `partition@offset`), and counts every run per message.
 */
function harness(options: Partial<Omit<DispatcherOptions, 'handler'>> = {}) {
  const holds = new Map<string, Deferred>();
  const runs = new Map<string, number>();
  const finished = new Map<string, number>();
  const logs: Array<{ level: string; message: string; fields?: unknown }> = [];
  const log =
    (level: string) =>
    (message: string, fields?: unknown): void => {
      logs.push({ level, message, fields });
    };
  const dispatcher = new Dispatcher({
    processors: 8,
    ...options,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    handler: async (message: InboundMessage) => {
      const id = `${message.partition}@${message.offset}`;
      runs.set(id, (runs.get(id) ?? 0) + 1);
      const hold = holds.get(id);
      if (hold) await hold.promise;
      finished.set(id, (finished.get(id) ?? 0) + 1);
    },
  });
  const hold = (partition: number, offset: number) => {
    const gate = deferred();
    holds.set(`${partition}@${offset}`, gate);
    return gate;
  };
  return { dispatcher, hold, runs, finished, logs };
}

/**
 * A fetch loop over one partition, as the Kafka transport's: `tryDispatch`
 * per message, `ready()` when it says no. `parked` tells it is waiting now.
 */
function feed(
  dispatcher: Dispatcher,
  partition: number,
  count: number,
  options: { keyOf?: (offset: number) => string; from?: number } = {},
) {
  const state: PartitionState = dispatcher.partition(T, partition);
  const stop = new AbortController();
  const from = options.from ?? 0;
  let fed = 0;
  let parked = false;
  const done = (async () => {
    for (let offset = from; offset < from + count; offset++) {
      const keyText = options.keyOf?.(offset);
      const message = inbound(T, offset, { partition, ...(keyText ? { keyText } : {}) });
      while (!dispatcher.tryDispatch(state, message, offset)) {
        parked = true;
        const ready = await dispatcher.ready(state, stop.signal);
        parked = false;
        if (!ready) return;
      }
      fed += 1;
      // A batch boundary now and then, as fetches come: the loop yields.
      if (fed % 500 === 0) await flush();
    }
  })();
  return {
    state,
    done,
    fed: () => fed,
    parked: () => parked,
    /**
     * Waits until the loop has fed everything, or waits on the dispatcher with
     * only one run in flight (the held one): nothing else can move it.
     */
    settled: () =>
      waitFor(
        () => fed === count || (parked && dispatcher.inFlight === 1),
        'the feeder to finish, or to wait behind the held run alone',
        10_000,
      ),
    stop: () => stop.abort(),
  };
}

describe('Dispatcher: the bound on a partition ledger (maxUncommitted)', () => {
  it('stops taking a partition whose held run keeps the watermark, at maxUncommitted begun above it', async () => {
    const h = harness({ maxUncommitted: 100 });
    h.hold(0, 0);
    const feeder = feed(h.dispatcher, 0, 5_000);
    await feeder.settled();
    // Without the bound the loop feeds all 5,000 and the ledger keeps 4,999 finished entries.
    expect(feeder.fed()).toBe(100);
    expect(feeder.parked()).toBe(true);
    expect(feeder.state.aboveWatermark).toBe(100);
    expect(feeder.state.tracked).toBe(100);
    expect(feeder.state.finishedUncommitted()).toBe(99);
    expect(h.dispatcher.inFlight).toBe(1);
    feeder.stop();
    await feeder.done;
  });

  it.each(['unordered', 'key'] as const)(
    'takes no message of a held partition through dispatch() either (%s)',
    async (ordering) => {
      const h = harness({ maxUncommitted: 10, ordering });
      const gate = h.hold(0, 0);
      const results: Array<Promise<boolean>> = [];
      for (let offset = 0; offset < 30; offset++) {
        results.push(h.dispatcher.dispatch(inbound(T, offset, { keyText: `k${offset}` })));
      }
      await waitFor(() => h.finished.size === 9, 'the nine runs after the held one');
      await flush();
      expect(h.runs.size).toBe(10);
      expect(h.dispatcher.partition(T, 0).aboveWatermark).toBe(10);
      // The bound was first met by a waiting dispatch as a processor freed: still listed and logged.
      expect(h.dispatcher.held()).toEqual([expect.objectContaining({ partition: 0, offset: '0' })]);
      expect(h.logs.filter((l) => l.level === 'warn')).toHaveLength(1);
      gate.resolve();
      expect(await Promise.all(results)).toEqual(Array.from({ length: 30 }, () => true));
      await h.dispatcher.idle();
      expect(h.finished.size).toBe(30);
    },
  );

  it('resumes the held partition once its run settles: every message runs once and the partition commits to its end', async () => {
    const h = harness({ maxUncommitted: 100 });
    const gate = h.hold(0, 0);
    // A second run held later on, so the partition is held at the bound twice.
    const second = h.hold(0, 2_500);
    const total = 5_000;
    const feeder = feed(h.dispatcher, 0, total);
    await feeder.settled();
    expect(feeder.fed()).toBe(100);
    gate.resolve();
    await waitFor(
      () => feeder.fed() >= 2_600 && feeder.parked() && h.dispatcher.inFlight === 1,
      'held again behind 2500',
    );
    expect(feeder.state.aboveWatermark).toBe(100);
    expect(feeder.state.firstUnfinished).toBe(2_500);
    second.resolve();
    await feeder.done;
    await h.dispatcher.idle();
    expect(feeder.fed()).toBe(total);
    // Nothing lost, nothing run twice.
    expect(h.runs.size).toBe(total);
    expect([...h.runs.values()].every((n) => n === 1)).toBe(true);
    expect(h.finished.size).toBe(total);
    expect(h.dispatcher.tracker.pending()).toEqual([{ topic: T, partition: 0, offset: total }]);
    for (const position of h.dispatcher.tracker.pending()) {
      h.dispatcher.tracker.markCommitted(position);
    }
    expect(h.dispatcher.tracker.finishedUncommitted()).toBe(0);
    expect(feeder.state.aboveWatermark).toBe(0);
  });

  it('keeps other partitions flowing while one is held at the bound', async () => {
    const h = harness({ maxUncommitted: 50, processors: 4 });
    const gate = h.hold(0, 0);
    const held = feed(h.dispatcher, 0, 1_000);
    const other = feed(h.dispatcher, 1, 3_000);
    const third = feed(h.dispatcher, 2, 3_000, { from: 7 });
    await other.done;
    await third.done;
    await held.settled();
    expect(held.fed()).toBe(50);
    expect(other.fed()).toBe(3_000);
    expect(third.fed()).toBe(3_000);
    expect(h.dispatcher.tracker.pending()).toEqual(
      expect.arrayContaining([
        { topic: T, partition: 1, offset: 3_000 },
        { topic: T, partition: 2, offset: 3_007 },
      ]),
    );
    gate.resolve();
    await held.done;
    await h.dispatcher.idle();
    expect(held.fed()).toBe(1_000);
    expect(h.finished.size).toBe(7_000);
  });

  it("under ordering 'key' counts messages parked behind a busy key toward the bound", async () => {
    const h = harness({ maxUncommitted: 40, ordering: 'key', processors: 4 });
    const gate = h.hold(0, 0);
    // Every fourth message has the held one's key: they park behind it.
    const feeder = feed(h.dispatcher, 0, 2_000, {
      keyOf: (offset) => (offset % 4 === 0 ? 'hot' : `k${offset}`),
    });
    await feeder.settled();
    expect(feeder.fed()).toBe(40);
    expect(feeder.state.aboveWatermark).toBe(40);
    gate.resolve();
    await feeder.done;
    await h.dispatcher.idle();
    expect(h.finished.size).toBe(2_000);
    expect([...h.runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('tells which partitions are held (held()) and logs once at warn when one reaches the bound, once at info when it drains', async () => {
    const h = harness({ maxUncommitted: 20 });
    const gate = h.hold(3, 5);
    const before = Date.now();
    const feeder = feed(h.dispatcher, 3, 500, { from: 5 });
    await feeder.settled();
    // Free processors wake the waiting loop again and again: still one warning.
    for (let i = 0; i < 5; i++) await h.dispatcher.dispatch(inbound(T, i, { partition: 4 }));
    await flush();
    const held = h.dispatcher.held();
    expect(held).toEqual([
      {
        topic: T,
        partition: 3,
        offset: '5',
        since: expect.any(Number),
        uncommitted: 20,
      },
    ]);
    expect(held[0]!.since).toBeGreaterThanOrEqual(before);
    const warnings = h.logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('maxUncommitted');
    expect(warnings[0]!.fields).toMatchObject({
      topic: T,
      partition: 3,
      offset: '5',
      maxUncommitted: 20,
    });
    gate.resolve();
    await feeder.done;
    await h.dispatcher.idle();
    expect(h.dispatcher.held()).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn')).toHaveLength(1);
    const drained = h.logs.filter((l) => l.level === 'info');
    expect(drained).toHaveLength(1);
    expect(drained[0]!.message).toMatch(
      /^partition orders\[3\] drained below maxUncommitted after \d+ ms$/,
    );
    expect(drained[0]!.fields).toEqual({ topic: T, partition: 3, heldMs: expect.any(Number) });
    const { heldMs } = drained[0]!.fields as { heldMs: number };
    expect(heldMs).toBeGreaterThanOrEqual(0);
    expect(heldMs).toBeLessThan(60_000);
  });

  it('counts a partition drained once exactly half the bound is left above the watermark', async () => {
    const h = harness({ maxUncommitted: 20 });
    const first = h.hold(0, 0);
    h.hold(0, 10);
    const feeder = feed(h.dispatcher, 0, 100);
    await waitFor(() => feeder.parked() && h.dispatcher.inFlight === 2, 'held at offsets 0 and 10');
    // The watermark moves to 10: offsets 10 to 19 are left, half the bound.
    first.resolve();
    await waitFor(
      () => feeder.fed() === 30 && feeder.parked() && h.dispatcher.inFlight === 1,
      'held again at offset 10',
    );
    expect(h.logs.map((l) => l.level)).toEqual(['warn', 'info', 'warn']);
    feeder.stop();
    await feeder.done;
  });

  it('keeps a partition listed, and warns no more, while it refills the bound before draining to half of it', async () => {
    const h = harness({ maxUncommitted: 20 });
    const first = h.hold(0, 0);
    const second = h.hold(0, 5);
    const feeder = feed(h.dispatcher, 0, 500);
    await waitFor(() => feeder.parked() && h.dispatcher.inFlight === 2, 'held at offsets 0 and 5');
    expect(feeder.fed()).toBe(20);
    // The watermark moves to 5: 15 above it, more than half the bound, so it is not drained.
    first.resolve();
    await waitFor(
      () => feeder.fed() === 25 && feeder.parked() && h.dispatcher.inFlight === 1,
      'held again at offset 5',
    );
    expect(h.dispatcher.held()).toEqual([
      expect.objectContaining({ partition: 0, offset: '5', uncommitted: 20 }),
    ]);
    expect(h.logs.map((l) => l.level)).toEqual(['warn']);
    second.resolve();
    await feeder.done;
    await h.dispatcher.idle();
    expect(h.logs.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(h.dispatcher.held()).toEqual([]);
    expect(h.finished.size).toBe(500);
  });

  it('forgets the hold when the partition is revoked', async () => {
    const h = harness({ maxUncommitted: 10 });
    h.hold(0, 0);
    const feeder = feed(h.dispatcher, 0, 100);
    await feeder.settled();
    await flush();
    expect(h.dispatcher.held()).toHaveLength(1);
    h.dispatcher.revoke(T, 0);
    await feeder.done;
    expect(h.dispatcher.held()).toEqual([]);
    expect(feeder.state.aboveWatermark).toBe(0);
  });

  it('holds at defaultMaxUncommitted(processors) when no bound is given', async () => {
    const bound = defaultMaxUncommitted(64);
    expect(bound).toBe(10_000);
    const h = harness({ processors: 64 });
    h.hold(0, 0);
    const feeder = feed(h.dispatcher, 0, bound + 1_000);
    await feeder.settled();
    expect(feeder.fed()).toBe(bound);
    feeder.stop();
    await feeder.done;
  });

  it("never holds the benchmark's key-scaling shape at the default bound (1,000 keys waiting on each other, processors 64)", async () => {
    // pnpm bench's key-scaling: one partition, 10,000 messages, 1,000 keys, runs of 0 to 5 ms.
    const spread = (n: number) => {
      let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
    };
    const logs: string[] = [];
    let finished = 0;
    const dispatcher = new Dispatcher({
      processors: 64,
      ordering: 'key',
      logger: {
        debug: () => {},
        info: (message) => logs.push(message),
        warn: (message) => logs.push(message),
        error: (message) => logs.push(message),
      },
      handler: async (message) => {
        await new Promise((resolve) => setTimeout(resolve, spread(Number(message.offset)) * 5));
        finished += 1;
      },
    });
    const state = dispatcher.partition(T, 0);
    const never = new AbortController().signal;
    let most = 0;
    for (let offset = 0; offset < 10_000; offset++) {
      const message = inbound(T, offset, {
        keyText: `k${Math.floor(spread(-1 - offset) * 1_000)}`,
      });
      while (!dispatcher.tryDispatch(state, message, offset)) await dispatcher.ready(state, never);
      most = Math.max(most, state.aboveWatermark);
    }
    await dispatcher.idle();
    expect(finished).toBe(10_000);
    expect(logs).toEqual([]);
    // About 300 when measured: the default leaves a wide margin.
    expect(most).toBeLessThan(defaultMaxUncommitted(64) / 5);
  });

  it('knows no unfinished offset in an empty or finished ledger (firstUnfinished -1)', () => {
    const state = new PartitionState(T, 0);
    expect(state.firstUnfinished).toBe(-1);
    const seq = state.begin(7);
    expect(state.firstUnfinished).toBe(7);
    expect(state.aboveWatermark).toBe(1);
    state.complete(seq);
    expect(state.firstUnfinished).toBe(-1);
    expect(state.aboveWatermark).toBe(0);
  });

  it('takes maxUncommitted 1: one message of a partition at a time above the watermark', async () => {
    const h = harness({ maxUncommitted: 1 });
    const gate = h.hold(0, 0);
    const feeder = feed(h.dispatcher, 0, 10);
    await feeder.settled();
    expect(feeder.fed()).toBe(1);
    gate.resolve();
    await feeder.done;
    await h.dispatcher.idle();
    expect(h.finished.size).toBe(10);
  });

  it('refuses a maxUncommitted that is not a whole number >= 1, naming the field', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        new Dispatcher({ processors: 1, maxUncommitted: bad, handler: async () => {} });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).code).toBe(ErrorCodes.ConfigInvalid);
      expect((caught as ConfigError).problems).toEqual([
        { path: 'maxUncommitted', message: `must be a whole number >= 1, got ${bad}` },
      ]);
      expect((caught as ConfigError).message).toContain('invalid Dispatcher options');
    }
  });
});
