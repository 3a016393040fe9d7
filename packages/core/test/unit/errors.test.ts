import {
  ConfigError,
  ErrorCodes,
  isTasksError,
  MessageError,
  NonRetriableError,
  OffsetOrderError,
  RouteError,
  ShutdownError,
  StateError,
  TaskRunError,
  TasksError,
  TransportError,
  toError,
} from '@tasks/core';
import { describe, expect, it } from 'vitest';

const coordinates = {
  taskKey: 'order',
  group: 'g1',
  topic: 'orders',
  partition: 3,
  offset: '42',
};

describe('error kinds', () => {
  it.each([
    [new ConfigError([{ path: 'a', message: 'b' }]), ErrorCodes.ConfigInvalid, 'ConfigError'],
    [new RouteError([{ path: 'a', message: 'b' }]), ErrorCodes.RouteInvalid, 'RouteError'],
    [new NonRetriableError('no'), ErrorCodes.NonRetriable, 'NonRetriableError'],
    [new TaskRunError(coordinates, 1, new Error('x')), ErrorCodes.TaskFailed, 'TaskRunError'],
    [new ShutdownError(), ErrorCodes.Shutdown, 'ShutdownError'],
    [new MessageError('bad'), ErrorCodes.MessageInvalid, 'MessageError'],
    [new StateError('nope'), ErrorCodes.InvalidState, 'StateError'],
    [new OffsetOrderError('t', 0, 1, 2), ErrorCodes.OffsetOutOfOrder, 'OffsetOrderError'],
    [
      new TransportError(ErrorCodes.TopicNotFound, 'gone'),
      ErrorCodes.TopicNotFound,
      'TransportError',
    ],
  ] as const)('%s carries code %s and its class name', (error, code, name) => {
    expect(error).toBeInstanceOf(TasksError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(isTasksError(error)).toBe(true);
  });

  it('has a closed set of distinct, prefixed codes', () => {
    const codes = Object.values(ErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^TASKS_[A-Z_]+$/);
  });

  it('keeps cause and retriable as given, defaulting to not retriable', () => {
    const root = new Error('socket closed');
    const error = new TransportError(ErrorCodes.ConnectionFailed, 'cannot reach brokers', {
      cause: root,
      retriable: true,
    });
    expect(error.cause).toBe(root);
    expect(error.retriable).toBe(true);
    const plain = new MessageError('bad bytes');
    expect(plain.retriable).toBe(false);
    expect('cause' in plain).toBe(false);
  });

  it('NonRetriableError is never retriable and keeps its cause', () => {
    const root = new Error('schema mismatch');
    const error = new NonRetriableError('give up', { cause: root });
    expect(error.retriable).toBe(false);
    expect(error.cause).toBe(root);
    expect(error.message).toBe('give up');
  });

  it('ShutdownError is retriable: the next owner runs the message', () => {
    expect(new ShutdownError().retriable).toBe(true);
    expect(new ShutdownError().message).toMatch(/shutting down/);
  });

  it('TaskRunError names the task, coordinates and attempts, and keeps what the task threw', () => {
    const thrown = new Error('db down');
    const error = new TaskRunError(coordinates, 3, thrown);
    expect(error.coordinates).toEqual(coordinates);
    expect(error.attempts).toBe(3);
    expect(error.cause).toBe(thrown);
    expect(error.message).toBe('task "order" failed on orders[3]@42 after 3 attempt(s): db down');
    expect(new TaskRunError(coordinates, 1, 'plain string').message).toMatch(/: plain string$/);
  });
});

describe('isTasksError', () => {
  it('recognises the brand of another copy of the package', () => {
    // What a TasksError from a second install looks like to this one: not an
    // instance of our class, but carrying the global brand symbol.
    const foreign = Object.assign(new Error('from elsewhere'), {
      code: ErrorCodes.PushFailed,
      retriable: false,
      [Symbol.for('@tasks/core.TasksError')]: true,
    });
    expect(foreign).not.toBeInstanceOf(TasksError);
    expect(isTasksError(foreign)).toBe(true);
  });

  it('recognises subclasses defined by users', () => {
    class PaymentDeclined extends NonRetriableError {}
    const error = new PaymentDeclined('declined');
    expect(isTasksError(error)).toBe(true);
    expect(error.name).toBe('PaymentDeclined');
    expect(error.code).toBe(ErrorCodes.NonRetriable);
  });

  it.each([
    ['a plain Error', new Error('x')],
    ['an error with a code but no brand', Object.assign(new Error('x'), { code: 'TASKS_X' })],
    ['a falsy brand', { [Symbol.for('@tasks/core.TasksError')]: 1 }],
    ['null', null],
    ['a string', 'TASKS_CONFIG_INVALID'],
    ['undefined', undefined],
  ])('rejects %s', (_label, value) => {
    expect(isTasksError(value)).toBe(false);
  });

  it('keeps the brand out of enumeration and JSON', () => {
    const error = new StateError('nope');
    const brand = Symbol.for('@tasks/core.TasksError');
    expect(Object.getOwnPropertyDescriptor(error, brand)).toMatchObject({
      value: true,
      enumerable: false,
    });
    expect(JSON.stringify(error)).not.toContain('tasks/core');
  });
});

describe('problem lists', () => {
  it('ConfigError lists every problem with its path', () => {
    const problems = [
      { path: 'kafkaConf[0].brokers', message: 'must list at least one "host:port"' },
      { path: 'kafkaConf[1].offset', message: 'must be "first" or "last"' },
    ];
    const error = new ConfigError(problems);
    expect(error.problems).toEqual(problems);
    expect(error.message.split('\n')).toEqual([
      'invalid configuration',
      '  - kafkaConf[0].brokers: must list at least one "host:port"',
      '  - kafkaConf[1].offset: must be "first" or "last"',
    ]);
    expect(new ConfigError(problems, 'bad retry').message).toMatch(/^bad retry\n/);
  });

  it('RouteError lists every problem with its path', () => {
    const error = new RouteError([
      { path: 'taskRoute.a', message: 'no task' },
      { path: 'kafkaConf[2].topic', message: 'no route' },
    ]);
    expect(error.message).toBe(
      'task routing is inconsistent\n  - taskRoute.a: no task\n  - kafkaConf[2].topic: no route',
    );
    expect(error.problems.map((p) => p.path)).toEqual(['taskRoute.a', 'kafkaConf[2].topic']);
  });
});

describe('toError', () => {
  it('returns an Error as it is', () => {
    const error = new RangeError('x');
    expect(toError(error)).toBe(error);
  });

  it('wraps any other thrown value, naming it and keeping it as the cause', () => {
    const object = { code: 42 };
    expect(toError('plain string')).toMatchObject({
      message: 'threw a non-Error value: plain string',
      cause: 'plain string',
    });
    expect(toError(object, 'task threw')).toMatchObject({
      message: 'task threw a non-Error value: {"code":42}',
      cause: object,
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular).message).toBe('threw a non-Error value: [object Object]');
    expect(toError(undefined).message).toBe('threw a non-Error value: undefined');
  });
});
