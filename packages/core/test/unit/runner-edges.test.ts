import { ShutdownError, unwrapGoEnvelope } from '@tasks/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
// Internal: how the server decodes a message for a task; not part of the public API.
import { decodeMessage } from '../../src/server/decode.js';
import { deferred, inbound, serverHarness, waitFor } from './support.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

afterEach(() => {
  vi.useRealTimers();
});

/** Resolves after `ms` on a real timer: a task that does I/O. */
const io = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('running a message: edges', () => {
  it('a retry without a timeout may take its time', async () => {
    let attempts = 0;
    const h = serverHarness({
      run: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('flaky');
        await io(20);
      },
      server: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    await h.server.start();
    await h.deliver(0);
    expect(h.outcomes()).toEqual(['retrying#1', 'succeeded#2']);
  });

  it("reports how long the run took, from the message's start", async () => {
    const h = serverHarness({ run: () => io(25) });
    await h.server.start();
    await h.deliver(0);
    const [event] = h.events;
    expect(event?.durationMs).toBeGreaterThanOrEqual(20);
    expect(event?.durationMs).toBeLessThan(60_000);
  });

  it("drops an attempt's timeout timer as soon as the attempt settles", async () => {
    const h = serverHarness({ conf: { taskTimeoutMs: 60_000 } });
    await h.server.start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await h.deliver(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    expect(h.outcomes()).toEqual(['succeeded#1']);
  });

  it('a run cut off by shutdown rejects with a ShutdownError naming the message', async () => {
    const h = serverHarness({
      run: () => new Promise(() => {}),
      server: { shutdownTimeoutMs: 10 },
    });
    await h.server.start();
    const handled = h.deliver(7).catch((e: unknown) => e);
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    await h.server.stop();
    const error = await handled;
    expect(error).toBeInstanceOf(ShutdownError);
    expect((error as Error).message).toBe(`stopped before ${h.topic}[0]@7 finished`);
  });

  it('an error handler cut off by shutdown rejects with a ShutdownError saying so', async () => {
    const hung = deferred();
    const h = serverHarness({
      run: () => {
        throw new Error('bad');
      },
      server: { shutdownTimeoutMs: 10, onError: () => hung.promise },
    });
    await h.server.start();
    const handled = h.deliver(3).catch((e: unknown) => e);
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    await h.server.stop();
    expect(((await handled) as Error).message).toBe(
      `stopped while the error handler of ${h.topic}[0]@3 ran`,
    );
  });

  it('logs an error handler that throws a non-Error, wrapped and named', async () => {
    const h = serverHarness({
      run: () => {
        throw new Error('bad');
      },
      server: {
        onError: () => {
          throw 'handler string';
        },
      },
    });
    await h.server.start();
    await h.deliver(0);
    const line = h.records.find((r) => r.message === 'the error handler threw');
    const error = (line?.fields as { error: Error } | undefined)?.error as Error;
    expect(error.message).toMatch(/^error handler threw a non-Error value/);
    expect(error.message).toContain('handler string');
  });

  it('says which message holds the partition when forceCommit is false', async () => {
    let attempts = 0;
    const h = serverHarness({
      run: () => {
        attempts += 1;
        if (attempts < 3) throw new Error('still failing');
      },
      conf: { forceCommit: false },
      server: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    await h.server.start();
    await h.deliver(4);
    const line = h.records.find((r) => r.message.startsWith('holding the partition'));
    expect(line?.level).toBe('warn');
    expect(line?.fields).toMatchObject({
      taskKey: 'order',
      topic: h.topic,
      partition: 0,
      offset: '4',
      attempt: 2,
      error: new Error('still failing'),
    });
  });
});

describe('decoding: edges', () => {
  const carrier = { traceparent: [traceparent] };

  it('prefers the exact field name, as Go does, over one that differs in case', () => {
    const value = JSON.stringify({ Body: 'wrong', body: 'right', carrier });
    expect(unwrapGoEnvelope(value)?.body).toBe('right');
  });

  it('reads a carrier from the key only with unwrapEnvelope', () => {
    const keyText = JSON.stringify({ traceparent });
    const on = decodeMessage(inbound('t', 0, { keyText, text: 'v' }), true);
    expect(on.trace.source).toBe('key');
    const off = decodeMessage(inbound('t', 0, { keyText, text: 'v' }), false);
    expect(off.trace).toEqual({ source: 'none', fields: {} });
  });

  it('keeps tracestate and baggage headers even without a traceparent', () => {
    const headers = { tracestate: Buffer.from('k=v'), baggage: Buffer.from('b=1') };
    const decoded = decodeMessage(inbound('t', 0, { text: 'v', headers }), false);
    expect(decoded.trace).toEqual({
      source: 'none',
      fields: { tracestate: 'k=v', baggage: 'b=1' },
    });
    const onlyState = decodeMessage(
      inbound('t', 0, { text: 'v', headers: { tracestate: Buffer.from('k=v') } }),
      false,
    );
    expect(onlyState.trace.fields).toEqual({ tracestate: 'k=v' });
  });
});
