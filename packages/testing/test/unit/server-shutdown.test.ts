import {
  newTaskServerCtx,
  ShutdownError,
  silentLogger,
  TaskServer,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import {
  blockingTask,
  createTestServer,
  FakeBroker,
  recordRuns,
  scriptedTask,
  waitFor,
} from '@tasks/testing';
import { describe, expect, it } from 'vitest';

describe('shutdown', () => {
  it('lets an in-flight run finish within shutdownTimeoutMs and commits it', async () => {
    const task = blockingTask();
    const test = createTestServer({
      tasks: { job: { topic: 'jobs', task } },
      server: { shutdownTimeoutMs: 10_000 },
    });
    await test.start();
    await test.push('job', 'slow');
    await waitFor(() => task.calls.length === 1);

    const stopping = test.stop();
    await waitFor(() => test.server.state === 'stopping');
    expect(task.calls[0]!.ctx.signal.aborted).toBe(false);
    task.release();
    await stopping;

    expect(test.runs.count('succeeded')).toBe(1);
    expect(test.runs.count('abandoned')).toBe(0);
    expect(test.committedOffsets('job')).toEqual(new Map([[0, 1]]));
    expect(task.stopCalls).toBe(1);
  });

  it('aborts a run that outlasts shutdownTimeoutMs, leaves it uncommitted, and the next server gets it', async () => {
    const slow = blockingTask({ when: (call) => call.value === 'slow-1' });
    const first = createTestServer({
      tasks: { job: { topic: 'jobs', task: slow } },
      server: { shutdownTimeoutMs: 20 },
    });
    await first.start();
    await first.push('job', 'ok-0');
    await first.push('job', 'slow-1');
    await first.push('job', 'ok-2');
    await first.waitForSettled(2);
    await waitFor(() => slow.calls.length === 3);

    await first.stop();
    const held = slow.calls.find((c) => c.value === 'slow-1')!;
    expect(held.ctx.signal.aborted).toBe(true);
    expect(held.ctx.signal.reason).toBeInstanceOf(ShutdownError);
    expect(first.runs.count('abandoned')).toBe(1);
    expect(first.committedOffsets('job')).toEqual(new Map([[0, 1]]));
    expect(slow.stopCalls).toBe(1);

    const after = scriptedTask();
    const second = createTestServer({
      broker: first.broker,
      group: first.group,
      tasks: { job: { topic: 'jobs', task: after } },
    });
    await second.start();
    await second.waitForSettled(2);
    expect(after.calls.map((c) => c.value)).toEqual(['slow-1', 'ok-2']);
    await second.stop();
    expect(second.committedOffsets('job')).toEqual(new Map([[0, 3]]));
    expect(after.stopCalls).toBe(1);
  });

  it('does not start messages that arrive while draining', async () => {
    const task = blockingTask({ when: (call) => call.value === 'first' });
    const test = createTestServer({ tasks: { job: { topic: 'jobs', task } } });
    await test.start();
    await test.push('job', 'first');
    await waitFor(() => task.calls.length === 1);
    const stopping = test.stop();
    await waitFor(() => test.server.state === 'stopping');
    await test.push('job', 'late');
    task.release();
    await stopping;

    expect(task.calls.map((c) => c.value)).toEqual(['first']);
    expect(test.committedOffsets('job')).toEqual(new Map([[0, 1]]));
  });

  it("calls every task's stop() exactly once, however often the server is stopped", async () => {
    const broker = new FakeBroker();
    broker.createTopic('a-topic', { partitions: 2 });
    broker.createTopic('b-topic', { partitions: 1 });
    const a = scriptedTask();
    const b = scriptedTask();
    const server = new TaskServer(
      newTaskServerCtx(
        withTaskRoute({ a: 'a-topic', b: 'b-topic' }),
        withKafkaConf(
          { brokers: [...broker.brokers], group: 'g', topic: 'a-topic' },
          { brokers: [...broker.brokers], group: 'g', topic: 'b-topic', conns: 2 },
        ),
        withFuncRegister((factory) => {
          factory.gen('a', a.create);
          factory.gen('b', b.create);
        }),
      ),
      { transport: broker.transport(), logger: silentLogger },
    );
    const runs = recordRuns(server);
    await server.start();
    await broker.produce('a-topic', { value: 'x', partition: 1 });
    await runs.waitForSettled(1);

    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect([a.stopCalls, b.stopCalls]).toEqual([1, 1]);
    expect(server.state).toBe('stopped');
    expect(broker.groupMembers('g')).toEqual([]);
  });
});
