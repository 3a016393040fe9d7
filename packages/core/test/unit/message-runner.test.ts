import {
  ErrorCodes,
  NonRetriableError,
  type TaskContext,
  type TaskMiddleware,
  TaskRunError,
} from '@tasks/core';
import { describe, expect, it } from 'vitest';
import { deferred, flush, serverHarness, track, waitFor } from './support.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('running a message', () => {
  it('gives the task the decoded key and value and a full context', async () => {
    const seen: { ctx: TaskContext; key: string; value: string }[] = [];
    const h = serverHarness({
      run: (ctx, key, value) => {
        seen.push({ ctx, key, value });
      },
    });
    await h.server.start();
    const headers = { 'x-id': Buffer.from('7') };
    const text = JSON.stringify({ carrier: { traceparent }, body: 'payload' });
    await h.deliver(12, { keyText: 'k1', text, partition: 2, headers });

    expect(seen).toHaveLength(1);
    const { ctx, key, value } = seen[0]!;
    expect(key).toBe('k1');
    expect(value).toBe('payload');
    expect(ctx).toMatchObject({
      taskKey: 'order',
      group: h.group,
      topic: h.topic,
      partition: 2,
      offset: '12',
      timestamp: 1_700_000_000_000,
      headers,
      attempt: 1,
      trace: { source: 'envelope', fields: { traceparent } },
    });
    expect(ctx.rawKey?.toString()).toBe('k1');
    expect(ctx.rawValue?.toString()).toBe(text);
    expect(ctx.message.offset).toBe('12');
    expect(ctx.signal.aborted).toBe(false);
    expect(h.outcomes()).toEqual(['succeeded#1']);
    expect(h.events[0]).toMatchObject({ taskKey: 'order', group: h.group, partition: 2 });
    expect(h.events[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(h.errors).toEqual([]);
    expect(h.server.stats).toMatchObject({ succeeded: 1, failed: 0, inFlight: 0 });
  });

  it('passes the raw value through when unwrapEnvelope is false', async () => {
    const values: string[] = [];
    const h = serverHarness({
      conf: { unwrapEnvelope: false },
      run: (_ctx, _key, value) => {
        values.push(value);
      },
    });
    await h.server.start();
    const text = JSON.stringify({ carrier: { traceparent }, body: 'payload' });
    await h.deliver(0, { text });
    expect(values).toEqual([text]);
  });

  it.each([
    [
      'throws an Error',
      () => {
        throw new Error('boom');
      },
    ],
    ['rejects', () => Promise.reject(new Error('boom'))],
    [
      'throws synchronously from a non-async run',
      (): void => {
        JSON.parse('{');
        throw new Error('unreachable');
      },
    ],
  ])(
    'contains a task that %s: the message is done and the error handler sees it',
    async (_label, run) => {
      const h = serverHarness({ run });
      await h.server.start();
      await expect(h.deliver(5, { partition: 1 })).resolves.toBeUndefined();
      expect(h.errors).toHaveLength(1);
      const [failure] = h.errors;
      expect(failure).toBeInstanceOf(TaskRunError);
      expect(failure!.code).toBe(ErrorCodes.TaskFailed);
      expect(failure!.coordinates).toEqual({
        taskKey: 'order',
        group: h.group,
        topic: h.topic,
        partition: 1,
        offset: '5',
      });
      expect(failure!.attempts).toBe(1);
      expect(failure!.cause).toBeInstanceOf(Error);
      expect(h.outcomes()).toEqual(['failed#1']);
      expect(h.events[0]!.failure).toBe(failure);
      expect(h.server.stats).toMatchObject({ failed: 1, succeeded: 0, inFlight: 0 });
    },
  );

  it('wraps a thrown string without losing it', async () => {
    const h = serverHarness({
      run: () => {
        throw 'plain string';
      },
    });
    await h.server.start();
    await h.deliver(0);
    const cause = h.errors[0]!.cause as Error;
    expect(cause).toBeInstanceOf(Error);
    expect(cause.message).toContain('plain string');
    expect(cause.cause).toBe('plain string');
    expect(h.errors[0]!.message).toContain('plain string');
  });

  it('retries up to retry.maxAttempts, the attempt counter increasing', async () => {
    const attempts: number[] = [];
    const h = serverHarness({
      server: { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 } },
      run: (ctx) => {
        attempts.push(ctx.attempt);
        throw new Error(`attempt ${ctx.attempt}`);
      },
    });
    await h.server.start();
    await h.deliver(0);
    expect(attempts).toEqual([1, 2, 3]);
    expect(h.outcomes()).toEqual(['retrying#1', 'retrying#2', 'failed#3']);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.attempts).toBe(3);
    expect((h.errors[0]!.cause as Error).message).toBe('attempt 3');
    expect(h.server.stats).toMatchObject({ retried: 2, failed: 1 });
  });

  it('stops retrying once a retry succeeds', async () => {
    const h = serverHarness({
      server: { retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 1 } },
      run: (ctx) => {
        if (ctx.attempt < 3) throw new Error('flaky');
      },
    });
    await h.server.start();
    await h.deliver(0);
    expect(h.outcomes()).toEqual(['retrying#1', 'retrying#2', 'succeeded#3']);
    expect(h.errors).toEqual([]);
  });

  it('skips retries for a NonRetriableError, a subclass, or one from another copy', async () => {
    class Declined extends NonRetriableError {}
    const foreign = Object.assign(new Error('foreign'), {
      code: ErrorCodes.NonRetriable,
      [Symbol.for('@tasks/core.TasksError')]: true,
    });
    const thrown = [new NonRetriableError('bad input'), new Declined('declined'), foreign];
    const h = serverHarness({
      server: { retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 1 } },
      run: (ctx) => {
        throw thrown[Number(ctx.offset)];
      },
    });
    await h.server.start();
    for (let offset = 0; offset < thrown.length; offset++) await h.deliver(offset);
    expect(h.outcomes()).toEqual(['failed#1', 'failed#1', 'failed#1']);
    expect(h.errors.map((e) => e.cause)).toEqual(thrown);
  });

  it('with forceCommit false, keeps retrying past maxAttempts until the task succeeds', async () => {
    const gate = deferred();
    let attempts = 0;
    const h = serverHarness({
      conf: { forceCommit: false },
      server: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
      run: async (ctx) => {
        attempts = ctx.attempt;
        if (ctx.attempt < 5) throw new Error('still failing');
        await gate.promise;
      },
    });
    await h.server.start();
    const handled = track(h.deliver(0));
    await waitFor(() => attempts === 5, 'the fifth attempt');
    await flush();
    expect(handled.settled()).toBe(false);
    expect(h.errors).toEqual([]);
    gate.resolve();
    await expect(handled.result).resolves.toEqual({ ok: true, value: undefined });
    expect(h.outcomes()).toEqual([
      'retrying#1',
      'retrying#2',
      'retrying#3',
      'retrying#4',
      'succeeded#5',
    ]);
    const holding = h.records.filter((r) => r.message.includes('holding the partition'));
    expect(holding.map((r) => r.level)).toEqual(['warn', 'warn', 'warn']);
  });

  it('with forceCommit false, still gives up at once on a NonRetriableError', async () => {
    const h = serverHarness({
      conf: { forceCommit: false },
      server: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
      run: () => {
        throw new NonRetriableError('poison');
      },
    });
    await h.server.start();
    await h.deliver(0);
    expect(h.outcomes()).toEqual(['failed#1']);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('handler broke');
      },
    ],
    ['rejects', () => Promise.reject(new Error('handler broke'))],
  ])('contains an error handler that %s', async (_label, onError) => {
    const h = serverHarness({
      server: { onError },
      run: () => {
        throw new Error('task broke');
      },
    });
    await h.server.start();
    await expect(h.deliver(0)).resolves.toBeUndefined();
    const logged = h.records.find((r) => r.message === 'the error handler threw');
    expect(logged?.level).toBe('error');
    expect(logged?.fields).toMatchObject({ taskKey: 'order', offset: '0' });
    expect((logged?.fields?.error as Error | undefined)?.message).toBe('handler broke');
  });

  it('logs failures when no error handler is given', async () => {
    const h = serverHarness({
      server: { onError: undefined },
      run: () => {
        throw new Error('task broke');
      },
    });
    await h.server.start();
    await h.deliver(3);
    const logged = h.records.find((r) => r.message === 'task failed');
    expect(logged?.level).toBe('error');
    expect(logged?.fields).toMatchObject({ taskKey: 'order', topic: h.topic, offset: '3' });
    expect((logged?.fields?.error as Error | undefined)?.message).toBe('task broke');
  });

  it('wraps every attempt in plugin middleware, then server middleware', async () => {
    const log: string[] = [];
    const layer =
      (name: string): TaskMiddleware =>
      async (ctx, next) => {
        log.push(`${name}>${ctx.attempt}`);
        try {
          await next();
          log.push(`${name}<ok`);
        } catch (error) {
          log.push(`${name}<${(error as Error).message}`);
          throw error;
        }
      };
    const h = serverHarness({
      server: {
        retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
        middleware: [layer('server')],
        plugins: [{ name: 'tracing', middleware: layer('plugin') }, { name: 'no-middleware' }],
      },
      run: (ctx) => {
        log.push(`run${ctx.attempt}`);
        if (ctx.attempt === 1) throw new Error('once');
      },
    });
    await h.server.start();
    await h.deliver(0);
    expect(log).toEqual([
      'plugin>1',
      'server>1',
      'run1',
      'server<once',
      'plugin<once',
      'plugin>2',
      'server>2',
      'run2',
      'server<ok',
      'plugin<ok',
    ]);
  });

  it('lets middleware turn a failure into a success', async () => {
    const h = serverHarness({
      server: {
        middleware: [
          async (_ctx, next) => {
            await next().catch(() => {});
          },
        ],
      },
      run: () => {
        throw new Error('swallowed');
      },
    });
    await h.server.start();
    await h.deliver(0);
    expect(h.outcomes()).toEqual(['succeeded#1']);
    expect(h.errors).toEqual([]);
  });

  it('counts messages in flight', async () => {
    const gate = deferred();
    const h = serverHarness({ run: () => gate.promise });
    await h.server.start();
    const first = h.deliver(0);
    const second = h.deliver(1);
    await waitFor(() => h.server.stats.inFlight === 2, 'two runs in flight');
    gate.resolve();
    await Promise.all([first, second]);
    expect(h.server.stats).toMatchObject({ inFlight: 0, succeeded: 2 });
  });
});
