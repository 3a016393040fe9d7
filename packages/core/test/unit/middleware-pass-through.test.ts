import type { TaskMiddleware } from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';
import { inbound, serverHarness } from './support.js';

/** A middleware that records its calls and says it only passes through keys in `through`. */
function recording(name: string, calls: string[], through: readonly string[]): TaskMiddleware {
  const middleware: TaskMiddleware = (ctx, next) => {
    calls.push(`${name}:${ctx.offset}`);
    return next();
  };
  return Object.assign(middleware, {
    passesThrough: (ctx: Parameters<TaskMiddleware>[0]) =>
      through.includes(ctx.rawKey?.toString() ?? ''),
  });
}

describe('middleware that declares passesThrough', () => {
  it('is left out of a run every middleware only passes through, and runs otherwise', async () => {
    const calls: string[] = [];
    const ran: string[] = [];
    const h = serverHarness({
      run: (ctx, key) => {
        ran.push(`${key}:${ctx.offset}`);
      },
      server: {
        middleware: [recording('a', calls, ['skip', 'half']), recording('b', calls, ['skip'])],
      },
    });
    await h.server.start();
    await h.deliver(0, { keyText: 'skip' });
    // One of the two would do something: the whole chain runs.
    await h.deliver(1, { keyText: 'half' });
    await h.deliver(2, { keyText: 'other' });
    expect(ran).toEqual(['skip:0', 'half:1', 'other:2']);
    expect(calls).toEqual(['a:1', 'b:1', 'a:2', 'b:2']);
  });

  it('leaves a plain-value run synchronous when every middleware passes it through', async () => {
    const calls: string[] = [];
    const h = serverHarness({ server: { middleware: [recording('a', calls, [''])] } });
    await h.server.start();
    const dispatcher = new Dispatcher({
      processors: 1,
      handler: h.transport.subscriptions[0]!.handler,
    });
    const state = dispatcher.partition(h.topic, 0);
    expect(dispatcher.tryDispatch(state, inbound(h.topic, 0))).toBe(true);
    expect(dispatcher.inFlight).toBe(0);
    expect(calls).toEqual([]);
  });

  it('is always called when it does not say', async () => {
    const calls: string[] = [];
    const plain: TaskMiddleware = (ctx, next) => {
      calls.push(ctx.offset);
      return next();
    };
    const h = serverHarness({ server: { middleware: [recording('a', [], ['k']), plain] } });
    await h.server.start();
    await h.deliver(4, { keyText: 'k' });
    expect(calls).toEqual(['4']);
  });
});
