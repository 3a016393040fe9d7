import {
  ConfigError,
  type FuncCreateTask,
  type ITask,
  newTaskFactory,
  newTaskServerCtx,
  TaskFactory,
  withObject,
} from '@tasks/core';
import { describe, expect, it } from 'vitest';

const noop: ITask = { run() {}, stop() {} };
const create: FuncCreateTask = () => noop;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('TaskFactory', () => {
  it('remembers registrations in gen order, duplicates included', () => {
    const factory = newTaskFactory(newTaskServerCtx<unknown>());
    const second: FuncCreateTask = () => noop;
    factory.gen('order', create);
    factory.gen('payment', second);
    factory.gen('order', second, { timeoutMs: 5_000 });
    expect(factory.registrations()).toEqual([
      { key: 'order', create, options: {} },
      { key: 'payment', create: second, options: {} },
      { key: 'order', create: second, options: { timeoutMs: 5_000 } },
    ]);
  });

  it('keeps the server context it was made with', () => {
    const ctx = newTaskServerCtx(withObject({ db: 'x' }));
    const factory = new TaskFactory(ctx);
    expect(factory.serverCtx).toBe(ctx);
    expect(factory.serverCtx.object().db).toBe('x');
  });

  it('rejects an empty or non-string key', () => {
    const factory = newTaskFactory(newTaskServerCtx<unknown>());
    expect(configError(() => factory.gen('', create)).problems).toEqual([
      { path: 'gen.key', message: 'must be a non-empty string, got ' },
    ]);
    const notString = configError(() => factory.gen(42 as unknown as string, create));
    expect(notString.problems[0]).toMatchObject({ path: 'gen.key', message: /got 42/ });
    expect(factory.registrations()).toHaveLength(0);
  });

  it('rejects a create that is not a function, naming the key', () => {
    const factory = newTaskFactory(newTaskServerCtx<unknown>());
    const error = configError(() => factory.gen('order', noop as unknown as FuncCreateTask));
    expect(error.problems[0]).toMatchObject({
      path: 'gen("order").create',
      message: /must be a function/,
    });
    expect(factory.registrations()).toHaveLength(0);
  });
});
