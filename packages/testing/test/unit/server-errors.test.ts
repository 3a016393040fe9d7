import {
  ErrorCodes,
  type KqConf,
  NonRetriableError,
  newTaskServerCtx,
  type RetryOptions,
  silentLogger,
  TaskRunError,
  TaskServer,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import {
  FakeBroker,
  failingTask,
  recordRuns,
  type ScriptedTask,
  scriptedTask,
  type TaskCall,
  waitFor,
} from '@tasks/testing';
import { describe, expect, it } from 'vitest';

const fastRetry: RetryOptions = { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 2 };

/** A TaskServer with one task key `job` on topic `jobs` (1 partition), group `workers`. */
function serverFor(
  task: ScriptedTask,
  options: {
    conf?: Partial<KqConf>;
    retry?: RetryOptions;
    broker?: FakeBroker;
    shutdownTimeoutMs?: number;
  } = {},
) {
  const broker = options.broker ?? new FakeBroker();
  if (!broker.hasTopic('jobs')) broker.createTopic('jobs', { partitions: 1 });
  const failures: TaskRunError[] = [];
  const ctx = newTaskServerCtx(
    withTaskRoute({ job: 'jobs' }),
    withKafkaConf({
      brokers: [...broker.brokers],
      group: 'workers',
      topic: 'jobs',
      offset: 'first',
      ...options.conf,
    }),
    withFuncRegister((factory) => factory.gen('job', task.create)),
  );
  const transport = broker.transport();
  const server = new TaskServer(ctx, {
    transport,
    logger: silentLogger,
    retry: { ...fastRetry, ...options.retry },
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 1_000,
    onError: (error) => {
      failures.push(error);
    },
  });
  const runs = recordRuns(server);
  return { broker, transport, server, runs, failures };
}

const isBad = (call: TaskCall) => call.value.startsWith('bad');

describe('a failing task does not take the server down', () => {
  it.each([
    [
      'throws an Error synchronously',
      () => failingTask({ when: isBad, mode: 'throw' }),
      'scripted failure',
    ],
    ['rejects with an Error', () => failingTask({ when: isBad }), 'scripted failure'],
    [
      'throws a string',
      () => failingTask({ when: isBad, mode: 'throw', error: () => 'plain string' }),
      'task threw a non-Error value: plain string',
    ],
    [
      'rejects with a plain object',
      () => failingTask({ when: isBad, error: () => ({ code: 42 }) }),
      'task threw a non-Error value: {"code":42}',
    ],
    [
      'rejects with undefined',
      () => failingTask({ when: isBad, error: () => undefined }),
      'task threw a non-Error value',
    ],
  ])('when it %s', async (_, makeTask, reason) => {
    const task = makeTask();
    const { broker, server, runs, failures } = serverFor(task);
    await server.start();
    await broker.produce('jobs', [{ value: 'bad-0' }, { value: 'good-1' }]);
    await runs.waitForSettled(2);
    await broker.produce('jobs', { value: 'good-2' });
    await runs.waitForSettled(3);

    expect(server.state).toBe('running');
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure).toBeInstanceOf(TaskRunError);
    expect(failure!.code).toBe(ErrorCodes.TaskFailed);
    expect(failure!.coordinates).toEqual({
      taskKey: 'job',
      group: 'workers',
      topic: 'jobs',
      partition: 0,
      offset: '0',
    });
    expect(failure!.attempts).toBe(1);
    expect(failure!.cause).toBeInstanceOf(Error);
    expect((failure!.cause as Error).message).toContain(reason);
    expect(failure!.message).toContain('jobs[0]@0');
    expect(task.calls.map((c) => c.value)).toEqual(['bad-0', 'good-1', 'good-2']);
    // forceCommit (the default) commits past the failed message.
    await waitFor(() => broker.committedOffsets('workers', 'jobs').get(0) === 3);
    await server.stop();
  });
});

describe('retries', () => {
  it('runs a failing message maxAttempts times, then reports it once', async () => {
    const task = failingTask({ when: isBad });
    const { broker, server, runs, failures } = serverFor(task, { retry: { maxAttempts: 3 } });
    await server.start();
    await broker.produce('jobs', { value: 'bad' });
    await runs.waitForSettled(1);

    expect(task.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3]);
    expect(new Set(task.calls.map((c) => c.ctx.message)).size).toBe(1);
    expect(runs.count('retrying')).toBe(2);
    expect(runs.count('failed')).toBe(1);
    expect(failures.map((f) => f.attempts)).toEqual([3]);
    await server.stop();
    expect(broker.committedOffsets('workers', 'jobs').get(0)).toBe(1);
  });

  it('succeeds on a retry without reporting an error', async () => {
    const task = failingTask({ attempts: 2 });
    const { broker, server, runs, failures } = serverFor(task, { retry: { maxAttempts: 3 } });
    await server.start();
    await broker.produce('jobs', { value: 'flaky' });
    const [settled] = await runs.waitForSettled(1);

    expect(settled).toMatchObject({ outcome: 'succeeded', attempt: 3 });
    expect(failures).toEqual([]);
    await server.stop();
  });

  it('skips the remaining retries on a NonRetriableError', async () => {
    const task = failingTask({ error: () => new NonRetriableError('bad input') });
    const { broker, server, runs, failures } = serverFor(task, { retry: { maxAttempts: 5 } });
    await server.start();
    await broker.produce('jobs', { value: 'poison' });
    await runs.waitForSettled(1);

    expect(task.calls).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.attempts).toBe(1);
    expect(failures[0]!.cause).toBeInstanceOf(NonRetriableError);
    await waitFor(() => broker.committedOffsets('workers', 'jobs').get(0) === 1);
    await server.stop();
  });
});

describe('forceCommit false', () => {
  it('holds the partition commit at a failing message and leaves it to the next owner', async () => {
    const task = failingTask({ when: isBad });
    const first = serverFor(task, {
      conf: { forceCommit: false },
      retry: { maxAttempts: 2 },
      // The held message never finishes: stop aborts it after this long.
      shutdownTimeoutMs: 20,
    });
    await first.server.start();
    await first.broker.produce('jobs', [
      { value: 'ok-0' },
      { value: 'bad-1' },
      { value: 'ok-2' },
      { value: 'ok-3' },
    ]);
    // Past maxAttempts it keeps retrying instead of giving up.
    await waitFor(
      () => first.runs.count('succeeded') === 3 && task.calls.filter(isBad).length >= 4,
      { message: 'the good messages done and the bad one retried past maxAttempts' },
    );
    await first.transport.commit();
    expect(first.broker.committedOffsets('workers', 'jobs').get(0)).toBe(1);
    expect(first.failures).toEqual([]);

    await first.server.stop();
    expect(first.runs.count('abandoned')).toBe(1);
    expect(first.broker.committedOffsets('workers', 'jobs').get(0)).toBe(1);

    const fixed = scriptedTask();
    const second = serverFor(fixed, { broker: first.broker, conf: { forceCommit: false } });
    await second.server.start();
    await second.runs.waitForSettled(3);
    expect(fixed.calls.map((c) => c.value)).toEqual(['bad-1', 'ok-2', 'ok-3']);
    await second.server.stop();
    expect(first.broker.committedOffsets('workers', 'jobs').get(0)).toBe(4);
  });
});
