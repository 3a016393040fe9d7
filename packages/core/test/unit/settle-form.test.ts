import type { InboundMessage, MessageHandler } from '@tasks/core';
import { Dispatcher, type Settle, settleForm } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';
import { deferred, inbound, serverHarness, waitFor } from './support.js';

/** The handler the server subscribed for its one task. */
function handlerOf(h: ReturnType<typeof serverHarness>): MessageHandler {
  return h.transport.subscriptions[0]!.handler;
}

describe("the server's handler in callback form", () => {
  it('is carried by the handler the server subscribes, beside the promise form', async () => {
    const h = serverHarness();
    await h.server.start();
    const handler = handlerOf(h);
    expect(typeof (handler as { [settleForm]?: unknown })[settleForm]).toBe('function');
    await expect(h.deliver(0)).resolves.toBeUndefined();
  });

  it('finishes a task that returns a plain value before tryDispatch returns', async () => {
    const h = serverHarness({ run: () => {} });
    await h.server.start();
    const dispatcher = new Dispatcher({ processors: 1, handler: handlerOf(h) });
    const state = dispatcher.partition(h.topic, 0);
    // One processor: each message must have finished for the next to get it.
    for (let offset = 0; offset < 3; offset++) {
      expect(dispatcher.tryDispatch(state, inbound(h.topic, offset))).toBe(true);
      expect(dispatcher.inFlight).toBe(0);
    }
    expect(state.committable).toBe(3);
    expect(h.server.stats).toMatchObject({ succeeded: 3, inFlight: 0 });
  });

  it('finishes at once through middleware that hands next() straight back', async () => {
    const seen: string[] = [];
    const h = serverHarness({
      run: (_ctx, key) => {
        seen.push(key);
      },
      server: { middleware: [(_ctx, next) => next(), (_ctx, next) => next()] },
    });
    await h.server.start();
    const dispatcher = new Dispatcher({ processors: 1, handler: handlerOf(h) });
    const state = dispatcher.partition(h.topic, 0);
    expect(dispatcher.tryDispatch(state, inbound(h.topic, 0, { keyText: 'a' }))).toBe(true);
    expect(dispatcher.inFlight).toBe(0);
    expect(state.committable).toBe(1);
    expect(seen).toEqual(['a']);
  });

  it('waits for middleware that does its own work after next()', async () => {
    const gate = deferred();
    const h = serverHarness({
      server: {
        middleware: [
          async (_ctx, next) => {
            await next();
            await gate.promise;
          },
        ],
      },
    });
    await h.server.start();
    const dispatcher = new Dispatcher({ processors: 1, handler: handlerOf(h) });
    const state = dispatcher.partition(h.topic, 0);
    expect(dispatcher.tryDispatch(state, inbound(h.topic, 0))).toBe(true);
    expect(dispatcher.inFlight).toBe(1);
    gate.resolve();
    await waitFor(() => dispatcher.inFlight === 0, 'the middleware to finish');
    expect(state.committable).toBe(1);
  });

  it('settles a run the task awaits once its promise settles, a failed one through the error path', async () => {
    const gate = deferred();
    const h = serverHarness({
      run: (_ctx, key) => (key === 'bad' ? Promise.reject(new Error('no')) : gate.promise),
    });
    await h.server.start();
    const dispatcher = new Dispatcher({ processors: 4, handler: handlerOf(h) });
    const state = dispatcher.partition(h.topic, 0);
    dispatcher.tryDispatch(state, inbound(h.topic, 0, { keyText: 'bad' }));
    dispatcher.tryDispatch(state, inbound(h.topic, 1, { keyText: 'good' }));
    expect(dispatcher.inFlight).toBe(2);
    await waitFor(() => dispatcher.inFlight === 1, 'the failed run to settle');
    // Failed for good (maxAttempts 1, forceCommit): handled, so committed past; 1 still runs.
    expect(state.committable).toBe(1);
    gate.resolve();
    await waitFor(() => dispatcher.inFlight === 0, 'the awaited run to settle');
    expect(state.committable).toBe(2);
    expect(h.errors).toHaveLength(1);
  });

  it('keeps the stack flat when a key hands its processor down a long line of plain-value runs', async () => {
    const gate = deferred();
    const parked = 20_000;
    const h = serverHarness({ run: (ctx) => (ctx.offset === '0' ? gate.promise : undefined) });
    await h.server.start();
    const dispatcher = new Dispatcher({
      processors: 1,
      ordering: 'key',
      maxParked: parked,
      handler: handlerOf(h),
    });
    const state = dispatcher.partition(h.topic, 0);
    for (let offset = 0; offset <= parked; offset++) {
      expect(dispatcher.tryDispatch(state, inbound(h.topic, offset, { keyText: 'same' }))).toBe(
        true,
      );
    }
    gate.resolve();
    await waitFor(() => state.committable === parked + 1, 'every parked run to finish');
    expect(h.server.stats).toMatchObject({ succeeded: parked + 1, inFlight: 0 });
  });

  it('counts a run once when a callback form settles it twice, or throws after settling', () => {
    const forms = [
      <T>(_m: InboundMessage, settle: Settle<T>, token: T) => {
        settle(token, true);
        settle(token, false);
      },
      <T>(_m: InboundMessage, settle: Settle<T>, token: T) => {
        settle(token, true);
        throw new Error('after settling');
      },
    ];
    for (const form of forms) {
      const handler = Object.assign(() => Promise.resolve(), { [settleForm]: form });
      const dispatcher = new Dispatcher({ processors: 1, handler });
      const state = dispatcher.partition('t', 0);
      expect(dispatcher.tryDispatch(state, inbound('t', 0))).toBe(true);
      expect(dispatcher.inFlight).toBe(0);
      expect(state.running).toBe(0);
      expect(state.committable).toBe(1);
      // The one processor is free again: the next message starts.
      expect(dispatcher.tryDispatch(state, inbound('t', 1))).toBe(true);
      expect(dispatcher.inFlight).toBe(0);
    }
  });
});
