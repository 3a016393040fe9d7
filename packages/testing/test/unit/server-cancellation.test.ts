import {
  ErrorCodes,
  type ITask,
  newTaskServerCtx,
  PartitionRevokedError,
  RunTimeoutError,
  silentLogger,
  type TaskContext,
  TaskServer,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { blockingTask, createTestServer, FakeBroker, recordRuns, waitFor } from '@tasks/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

/** A task whose first attempt of every message hangs, ignoring its signal; later attempts succeed. */
function hangsOnce() {
  const signals: AbortSignal[] = [];
  const task: ITask = {
    run(ctx: TaskContext) {
      signals.push(ctx.signal);
      return ctx.attempt === 1 ? new Promise<void>(() => {}) : undefined;
    },
    stop() {},
  };
  return { task, signals };
}

describe('cancellation: per-task timeout', () => {
  it("aborts an attempt past the conf's taskTimeoutMs with a RunTimeoutError, counts it as failed and retries", async () => {
    const { task, signals } = hangsOnce();
    const test = createTestServer({
      tasks: { job: { topic: 'jobs', task } },
      conf: { taskTimeoutMs: 50 },
      server: { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    onTestFinished(() => test.stop());
    await test.start();
    await test.push('job', 'slow');
    await test.waitForSettled(1);

    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(RunTimeoutError);
    expect(signals[0]!.reason).toMatchObject({ code: ErrorCodes.RunTimeout, timeoutMs: 50 });
    expect(signals[1]!.aborted).toBe(false);
    const retrying = test.runs.events.filter((e) => e.outcome === 'retrying');
    expect(retrying).toHaveLength(1);
    expect(retrying[0]!.error).toBeInstanceOf(RunTimeoutError);
    expect(test.runs.count('succeeded')).toBe(1);
    await waitFor(() => test.committedOffsets('job').get(0) === 1);
  });

  it("takes the registration's timeoutMs over the conf's, and fails for good after the last attempt", async () => {
    const broker = new FakeBroker();
    broker.createTopic('jobs', { partitions: 1 });
    const signals: AbortSignal[] = [];
    const server = new TaskServer(
      newTaskServerCtx(
        withTaskRoute({ job: 'jobs' }),
        withKafkaConf({
          brokers: broker.brokers,
          group: 'g',
          topic: 'jobs',
          offset: 'first',
          taskTimeoutMs: 60_000,
        }),
        withFuncRegister((factory) =>
          factory.gen(
            'job',
            () => ({
              run: (ctx) => {
                signals.push(ctx.signal);
                return new Promise<void>(() => {});
              },
              stop() {},
            }),
            { timeoutMs: 30 },
          ),
        ),
      ),
      {
        transport: broker.transport(),
        logger: silentLogger,
        retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
        onError: () => {},
      },
    );
    const runs = recordRuns(server);
    onTestFinished(() => server.stop());
    await server.start();
    await broker.produce('jobs', { value: 'x' });
    await runs.waitForSettled(1);
    expect(runs.count('failed')).toBe(1);
    expect(signals.map((s) => s.reason)).toEqual([
      expect.any(RunTimeoutError),
      expect.any(RunTimeoutError),
    ]);
    await waitFor(() => broker.committedOffsets('g', 'jobs').get(0) === 1);
  });

  it('refuses a negative timeoutMs at registration, naming the task', () => {
    const broker = new FakeBroker();
    const server = new TaskServer(
      newTaskServerCtx(
        withTaskRoute({ job: 'jobs' }),
        withKafkaConf({ brokers: broker.brokers, group: 'g', topic: 'jobs' }),
        withFuncRegister((factory) =>
          factory.gen('job', () => ({ run() {}, stop() {} }), { timeoutMs: -1 }),
        ),
      ),
      { transport: broker.transport(), logger: silentLogger },
    );
    return expect(server.start()).rejects.toMatchObject({
      code: ErrorCodes.ConfigInvalid,
      problems: [expect.objectContaining({ path: 'gen("job").options.timeoutMs' })],
    });
  });
});

describe('cancellation: revocation', () => {
  it('fires the signal of a run whose partition is revoked, with a PartitionRevokedError, and the new owner runs it', async () => {
    const broker = new FakeBroker();
    broker.createTopic('jobs', { partitions: 2 });
    const held = blockingTask();
    const first = createTestServer({
      broker,
      group: 'g',
      tasks: { job: { topic: 'jobs', task: held } },
    });
    onTestFinished(() => first.stop());
    await first.start();
    await first.push('job', 'p0', { partition: 0 });
    await first.push('job', 'p1', { partition: 1 });
    await waitFor(() => held.calls.length === 2);

    const taker = blockingTask();
    taker.release();
    const second = createTestServer({
      broker,
      group: 'g',
      tasks: { job: { topic: 'jobs', task: taker } },
    });
    onTestFinished(() => second.stop());
    await second.start();
    await waitFor(() => taker.calls.length === 1, { message: 'the new owner to run the message' });

    const moved = taker.calls[0]!.ctx.partition;
    const revoked = held.calls.find((c) => c.ctx.partition === moved)!;
    const kept = held.calls.find((c) => c.ctx.partition !== moved)!;
    expect(revoked.ctx.signal.aborted).toBe(true);
    expect(revoked.ctx.signal.reason).toBeInstanceOf(PartitionRevokedError);
    expect(revoked.ctx.signal.reason).toMatchObject({
      code: ErrorCodes.PartitionRevoked,
      topic: 'jobs',
      partition: moved,
    });
    expect(kept.ctx.signal.aborted).toBe(false);
    expect(first.runs.count('failed')).toBe(0);
    held.release();
    await first.waitForSettled(1);
  });
});

describe('cancellation: revocation grace', () => {
  it('waits (bounded) for the revoked partition’s run, commits it, then hands the partition over', async () => {
    const broker = new FakeBroker();
    broker.createTopic('jobs', { partitions: 2 });
    const held = blockingTask();
    const first = createTestServer({
      broker,
      group: 'g',
      tasks: { job: { topic: 'jobs', task: held } },
      transport: { revokeGraceMs: 30_000 },
    });
    onTestFinished(() => first.stop());
    await first.start();
    await first.push('job', 'p0', { partition: 0 });
    await first.push('job', 'p1', { partition: 1 });
    await waitFor(() => held.calls.length === 2);

    const taker = blockingTask();
    taker.release();
    const second = createTestServer({
      broker,
      group: 'g',
      tasks: { job: { topic: 'jobs', task: taker } },
    });
    onTestFinished(() => second.stop());
    const joining = second.start();
    // The rebalance waits for the first member's in-flight run of the partition it loses.
    await waitFor(() => held.calls.every((c) => !c.ctx.signal.aborted));
    held.release();
    await joining;
    await first.waitForSettled(2);
    // Both finished on the first member and were committed: the new owner has nothing to redo.
    await waitFor(() => {
      const committed = broker.committedOffsets('g', 'jobs');
      return committed.get(0) === 1 && committed.get(1) === 1;
    });
    expect(taker.calls).toHaveLength(0);
    expect(first.runs.count('abandoned')).toBe(0);
  });
});
