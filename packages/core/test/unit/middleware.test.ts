import {
  compose,
  ErrorCodes,
  type OutboundMessage,
  type PushMiddleware,
  StateError,
  type TaskContext,
  type TaskMiddleware,
} from '@tasks/core';
import { composePush } from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';

const ctx = { taskKey: 'order' } as TaskContext;

describe('compose', () => {
  it('runs middleware outermost-first around the run', async () => {
    const log: string[] = [];
    const layer =
      (name: string): TaskMiddleware =>
      async (_ctx, next) => {
        log.push(`${name} in`);
        await next();
        log.push(`${name} out`);
      };
    const run = compose([layer('a'), layer('b')], async (c) => {
      log.push(`run ${c.taskKey}`);
    });
    await run(ctx);
    expect(log).toEqual(['a in', 'b in', 'run order', 'b out', 'a out']);
  });

  it('returns the run itself when there is no middleware', () => {
    const run = async () => {};
    expect(compose([], run)).toBe(run);
  });

  it("lets middleware see the run's failure and replace it", async () => {
    const seen: unknown[] = [];
    const run = compose(
      [
        async (_c, next) => {
          try {
            await next();
          } catch (error) {
            seen.push(error);
            throw new Error('wrapped', { cause: error });
          }
        },
      ],
      async () => {
        throw new Error('inner');
      },
    );
    await expect(run(ctx)).rejects.toThrow('wrapped');
    expect(seen).toEqual([new Error('inner')]);
  });

  it('turns a run that throws synchronously into a rejection of next()', async () => {
    const seen: string[] = [];
    const run = compose(
      [
        (_c, next) =>
          next().then(
            () => {
              seen.push('ok');
            },
            (error: Error) => {
              seen.push(`failed: ${error.message}`);
            },
          ),
      ],
      () => {
        throw new Error('sync');
      },
    );
    await run(ctx);
    expect(seen).toEqual(['failed: sync']);
  });

  it('turns a layer that throws synchronously into a rejection', async () => {
    const outer: TaskMiddleware = (_c, next) => next();
    const run = compose(
      [
        outer,
        () => {
          throw new Error('layer');
        },
      ],
      async () => {},
    );
    let result: Promise<void> | undefined;
    expect(() => {
      result = run(ctx);
    }).not.toThrow();
    await expect(result).rejects.toThrow('layer');
  });

  it('lets middleware skip the run by not calling next()', async () => {
    let ran = false;
    const run = compose([async () => {}], async () => {
      ran = true;
    });
    await run(ctx);
    expect(ran).toBe(false);
  });

  it('rejects next() called twice, and runs the task once', async () => {
    let runs = 0;
    let second: unknown;
    const run = compose(
      [
        async (_c, next) => {
          await next();
          second = await next().catch((error: unknown) => error);
        },
      ],
      async () => {
        runs += 1;
      },
    );
    await run(ctx);
    expect(runs).toBe(1);
    expect(second).toBeInstanceOf(StateError);
    expect(second).toMatchObject({ code: ErrorCodes.InvalidState });
    expect((second as Error).message).toMatch(/next\(\) called more than once/);
  });

  it('gives each composed call its own next() budget', async () => {
    let runs = 0;
    const run = compose([async (_c, next) => next()], async () => {
      runs += 1;
    });
    await run(ctx);
    await run(ctx);
    expect(runs).toBe(2);
  });
});

describe('composePush', () => {
  const base: OutboundMessage = { topic: 'orders', key: 'k', value: 'v', headers: {} };

  it('runs push middleware outermost-first, each able to rewrite the message', async () => {
    const log: string[] = [];
    const sent: OutboundMessage[] = [];
    const header =
      (name: string): PushMiddleware =>
      async (message, next) => {
        log.push(`${name} in`);
        await next({ ...message, headers: { ...message.headers, [name]: String(log.length) } });
        log.push(`${name} out`);
      };
    const push = composePush(
      [header('a'), header('b'), async (m, next) => next({ ...m, value: `${m.value}!` })],
      async (message) => {
        log.push('send');
        sent.push(message);
      },
    );
    await push(base);
    expect(log).toEqual(['a in', 'b in', 'send', 'b out', 'a out']);
    expect(sent).toEqual([{ ...base, value: 'v!', headers: { a: '1', b: '2' } }]);
    expect(base.headers).toEqual({});
  });

  it('sends directly without middleware and propagates send failures', async () => {
    const sent: OutboundMessage[] = [];
    await composePush([], async (m) => {
      sent.push(m);
    })(base);
    expect(sent).toEqual([base]);
    const failing = composePush([async (m, next) => next(m)], async () => {
      throw new Error('broker down');
    });
    await expect(failing(base)).rejects.toThrow('broker down');
  });
});
