import { ErrorCodes, RouteError, type TaskContext } from '@tasks/core';
import {
  blockingTask,
  createDeferred,
  createTestServer,
  FakeBroker,
  failingTask,
  scriptedTask,
  startTestServer,
  trackAssignments,
  uniqueName,
  WaitTimeoutError,
  waitFor,
} from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './support.js';

/** A real TaskContext, taken from a run on a test server. */
async function realContext(): Promise<TaskContext> {
  const probe = scriptedTask();
  const test = await startTestServer({ tasks: { probe: { topic: 'probe', task: probe } } });
  await test.push('probe', 'x');
  await test.waitForSettled(1);
  await test.stop();
  return probe.calls[0]!.ctx;
}

describe('waitFor', () => {
  it('resolves with the first truthy value of the condition', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? `done after ${n}` : undefined))).resolves.toBe(
      'done after 3',
    );
  });

  it('times out with what was awaited and what was last seen', async () => {
    const error = await rejectionOf(
      waitFor(() => false, {
        timeoutMs: 10,
        message: 'the moon to turn blue',
        describe: () => 'still grey',
      }),
    );
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).message).toBe(
      'timed out after 10 ms waiting for the moon to turn blue; last seen: still grey',
    );
    expect((error as WaitTimeoutError).lastSeen).toBe('still grey');
  });

  it('treats a throwing check as not yet, and reports its last error', async () => {
    let calls = 0;
    await expect(
      waitFor(
        () => {
          calls += 1;
          if (calls < 3) throw new Error('not ready');
          return true;
        },
        { timeoutMs: 1_000 },
      ),
    ).resolves.toBe(true);

    const error = (await rejectionOf(
      waitFor(
        () => {
          throw new Error('expected 1 to be 2');
        },
        { timeoutMs: 5 },
      ),
    )) as WaitTimeoutError;
    expect(error.message).toContain('the last check threw: expected 1 to be 2');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rejects nonsense deadlines', async () => {
    await expect(waitFor(() => true, { timeoutMs: -1 })).rejects.toMatchObject({
      code: ErrorCodes.ConfigInvalid,
      problems: [{ path: 'timeoutMs', message: expect.stringContaining('-1') }],
    });
    await expect(waitFor(() => true, { intervalMs: Number.NaN })).rejects.toMatchObject({
      code: ErrorCodes.ConfigInvalid,
      problems: [{ path: 'intervalMs', message: expect.stringContaining('NaN') }],
    });
  });
});

describe('createDeferred', () => {
  it('settles once and tells whether it has', async () => {
    const gate = createDeferred<number>();
    expect(gate.settled).toBe(false);
    gate.resolve(7);
    expect(gate.settled).toBe(true);
    await expect(gate.promise).resolves.toBe(7);
    const failed = createDeferred();
    failed.reject(new Error('no'));
    await expect(failed.promise).rejects.toThrow('no');
  });
});

describe('scripted tasks', () => {
  it('failingTask fails the first N attempts of matching messages only', async () => {
    const ctx = await realContext();
    const task = failingTask({ attempts: 1, when: (call) => call.key === 'bad' });
    await expect(task.run(ctx, 'bad', 'v')).rejects.toThrow(/scripted failure of probe\[0\]@0/);
    await expect(Promise.resolve(task.run(ctx, 'good', 'v'))).resolves.toBeUndefined();
    await expect(Promise.resolve(task.run({ ...ctx, attempt: 2 }, 'bad', 'v'))).resolves.toBe(
      undefined,
    );
    expect(task.calls.map((c) => c.key)).toEqual(['bad', 'good', 'bad']);
  });

  it("failingTask's throw mode throws from run() itself, with any value", async () => {
    const ctx = await realContext();
    const task = failingTask({ mode: 'throw', error: () => 'a string' });
    expect(() => task.run(ctx, 'k', 'v')).toThrow('a string');
  });

  it('blockingTask holds runs until released, or rejects them when aborted', async () => {
    const ctx = await realContext();
    const task = blockingTask();
    let done = false;
    const run = Promise.resolve(
      task.run({ ...ctx, signal: new AbortController().signal }, 'k', 'v'),
    ).then(() => {
      done = true;
    });
    await waitFor(() => task.calls.length === 1);
    expect(done).toBe(false);
    task.release();
    await run;
    expect(task.released).toBe(true);

    const aborting = new AbortController();
    const held = blockingTask().run({ ...ctx, signal: aborting.signal }, 'k', 'v');
    aborting.abort(new Error('shutting down'));
    await expect(held).rejects.toThrow('shutting down');
  });

  it('counts stop() calls', () => {
    const task = scriptedTask();
    task.stop();
    task.stop();
    expect(task.stopCalls).toBe(2);
    expect(task.create()).toBe(task);
  });
});

describe('TestServer', () => {
  it('routes pushes by task key and waits for them to settle', async () => {
    const emails = scriptedTask();
    const sms = scriptedTask();
    const test = await startTestServer({
      tasks: {
        email: { topic: 'email-tasks', task: emails, partitions: 3 },
        sms: { topic: 'sms-tasks', task: () => sms },
      },
    });
    await test.push('email', 'hello', { key: 'user-1' });
    await test.push('sms', 'hi');
    const settled = await test.waitForSettled(2);
    expect(settled.map((e) => e.taskKey).sort()).toEqual(['email', 'sms']);
    expect(emails.calls.map((c) => [c.key, c.value])).toEqual([['user-1', 'hello']]);
    expect(sms.calls.map((c) => c.value)).toEqual(['hi']);
    expect(test.broker.partitionCount('email-tasks')).toBe(3);
    await test.stop();
    expect(test.committedOffsets('sms')).toEqual(new Map([[0, 1]]));
  });

  it('says which task keys it knows when pushed an unknown one', async () => {
    const test = createTestServer({ tasks: { email: { topic: 'e', task: scriptedTask() } } });
    await expect(test.push('nope', 'x')).rejects.toBeInstanceOf(RouteError);
    await expect(test.push('nope', 'x')).rejects.toThrow('known: email');
  });

  it('explains a waitForSettled timeout with what the server did', async () => {
    const test = await startTestServer({ tasks: { job: { topic: 'j', task: scriptedTask() } } });
    await test.push('job', 'only one');
    const error = (await rejectionOf(test.waitForSettled(2, { timeoutMs: 30 }))) as Error;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error.message).toContain('waiting for 2 settled run(s)');
    expect(error.message).toContain('succeeded 1');
    expect(error.message).toContain('j[0]@0');
    await test.stop();
  });

  it('shares a broker and group between servers', async () => {
    const broker = new FakeBroker();
    const one = await startTestServer({
      broker,
      tasks: { job: { topic: 'j', task: scriptedTask() } },
    });
    const two = await startTestServer({
      broker,
      group: one.group,
      tasks: { job: { topic: 'j', task: scriptedTask() } },
    });
    expect(broker.groupMembers(one.group)).toHaveLength(2);
    await Promise.all([one.stop(), two.stop()]);
  });
});

describe('trackAssignments', () => {
  it('times out naming the group and topic it waited for', async () => {
    const broker = new FakeBroker();
    const tracker = trackAssignments(broker.transport());
    await expect(tracker.waitForAssignment('g', 't', { timeoutMs: 5 })).rejects.toThrow(
      'waiting for 1 partition(s) of "t" assigned for group "g"; last seen: owned []',
    );
  });
});

describe('uniqueName', () => {
  it('makes distinct names Kafka accepts, from any prefix', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('my topic/ü')));
    expect(names.size).toBe(100);
    for (const name of names) {
      expect(name).toMatch(/^my-topic--[a-zA-Z0-9._-]+$/);
      expect(name.length).toBeLessThanOrEqual(249);
    }
  });
});
