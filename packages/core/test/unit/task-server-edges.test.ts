import {
  ErrorCodes,
  newTaskServer,
  newTaskServerCtx,
  PartitionRevokedError,
  type TaskContext,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  captureLogger,
  deferred,
  ManualTransport,
  serverHarness,
  unique,
  waitFor,
} from './support.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A ManualTransport whose start takes a while (a broker join). */
class SlowStartTransport extends ManualTransport {
  override async start(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 30));
    await super.start();
  }
}

describe('TaskServer lifecycle details', () => {
  it('starts quietly: one line naming the transport and each task, no compatibility notes', async () => {
    const h = serverHarness();
    await h.server.start();
    expect(h.records.map((r) => `${r.level} ${r.message}`)).toEqual(['info task server started']);
    expect(h.records[0]?.fields).toEqual({
      transport: 'manual',
      tasks: [{ task: 'order', topic: h.topic, group: h.group }],
    });
  });

  it('is starting while the transport joins, and refuses a second start() naming its state', async () => {
    const h = serverHarness();
    const gate = deferred();
    const start = h.transport.start.bind(h.transport);
    h.transport.start = async () => {
      await gate.promise;
      await start();
    };
    const starting = h.server.start();
    expect(h.server.state).toBe('starting');
    await expect(h.server.start()).rejects.toThrow('start() called while starting');
    gate.resolve();
    await starting;
    expect(h.server.state).toBe('running');
  });

  it('waits for a slow transport start when no startTimeoutMs is set, and leaves no timer behind', async () => {
    const topic = unique('orders');
    const server = newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ order: topic }),
        withKafkaConf({ brokers: ['h:1'], group: 'g', topic }),
        withFuncRegister((factory) => factory.gen('order', () => ({ run() {}, stop() {} }))),
      ),
      { transport: new SlowStartTransport(), logger: captureLogger().logger },
    );
    onTestFinished(() => server.stop());
    await server.start();
    expect(server.state).toBe('running');
  });

  it('clears its start timer once the transport started', async () => {
    const h = serverHarness({ server: { startTimeoutMs: 60_000 } });
    vi.useFakeTimers();
    await h.server.start();
    expect(vi.getTimerCount()).toBe(0);
    await h.server.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(h.records.some((r) => r.message.includes('shutdown timeout'))).toBe(false);
  });

  it('a start timeout is retriable and says no last error when there was none', async () => {
    const h = serverHarness({ server: { startTimeoutMs: 20 } });
    h.transport.start = () => new Promise(() => {});
    h.transport.stop = async () => {};
    const error = await h.server.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.StartTimeout, retriable: true });
    expect((error as Error).message).toBe('the manual transport did not start within 20 ms');
  });

  it('names a bad startTimeoutMs with its value', () => {
    expect(() => serverHarness({ server: { startTimeoutMs: -5 } })).toThrow(
      'startTimeoutMs: must be a finite number > 0, got -5',
    );
  });

  it('reports no consumers for a transport without status()', () => {
    const server = newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ order: 't' }),
        withKafkaConf({ brokers: ['h:1'], group: 'g', topic: 't' }),
        withFuncRegister((factory) => factory.gen('order', () => ({ run() {}, stop() {} }))),
      ),
      { transport: new ManualTransport(), logger: captureLogger().logger },
    );
    expect(server.status().consumers).toEqual([]);
  });

  it('stopping an idle server touches no transport and resolves stopped()', async () => {
    const h = serverHarness();
    await h.server.stop();
    await h.server.stopped();
    expect(h.transport.calls).toEqual([]);
    expect(h.server.state).toBe('stopped');
  });

  it('says when it stopped, with its counters, and stopped() resolves', async () => {
    const h = serverHarness();
    await h.server.start();
    await h.deliver(0);
    await h.server.stop();
    await h.server.stopped();
    const last = h.records.at(-1);
    expect(last?.message).toBe('task server stopped');
    expect(last?.fields).toMatchObject({ succeeded: 1, failed: 0, inFlight: 0 });
  });

  it('the shutdown timeout warning says how long and how many runs were cut off', async () => {
    const gate = deferred();
    const h = serverHarness({ server: { shutdownTimeoutMs: 20 }, run: () => gate.promise });
    await h.server.start();
    const run = h.deliver(0).catch(() => {});
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    await h.server.stop();
    const warn = h.records.find((r) => r.message.startsWith('shutdown timeout reached'));
    expect(warn?.fields).toEqual({ timeoutMs: 20, inFlight: 1 });
    gate.resolve();
    await run;
  });
});

describe('TaskServer and transport events', () => {
  it("revokes only the runs of the revoked group and topic, with the partition's reason", async () => {
    const signals: AbortSignal[] = [];
    const h = serverHarness({
      run: (ctx: TaskContext) =>
        new Promise<void>((resolve) => {
          signals.push(ctx.signal);
          ctx.signal.addEventListener('abort', () => resolve());
        }),
      server: { shutdownTimeoutMs: 60_000 },
    });
    await h.server.start();
    const run = h.deliver(0).catch(() => {});
    await waitFor(() => signals.length === 1, 'the run to start');
    const [signal] = signals as [AbortSignal];
    h.transport.emit({ type: 'revoked', group: 'other', topic: h.topic, partitions: [0] });
    h.transport.emit({ type: 'revoked', group: h.group, topic: 'other', partitions: [0] });
    h.transport.emit({ type: 'assigned', group: h.group, topic: h.topic, partitions: [0] });
    h.transport.emit({
      type: 'committed',
      group: h.group,
      topic: h.topic,
      partition: 0,
      offset: '1',
    });
    expect(signal.aborted).toBe(false);
    expect(
      h.records.filter((r) => r.message.startsWith('partitions')).map((r) => r.message),
    ).toEqual(['partitions revoked', 'partitions revoked', 'partitions assigned']);
    h.transport.emit({ type: 'revoked', group: h.group, topic: h.topic, partitions: [0] });
    expect(signal.reason).toBeInstanceOf(PartitionRevokedError);
    await run;
  });

  it('logs what fails around it with the error: transport, listeners, the default error handler', async () => {
    const h = serverHarness({
      run: () => {
        throw 'not an Error';
      },
      server: { onError: undefined },
    });
    h.server.onRun(() => {
      throw new Error('listener bug');
    });
    await h.server.start();
    const broker = new Error('broker gone');
    h.transport.emit({ type: 'error', error: broker, group: h.group });
    h.transport.emit({ type: 'error', error: new Error('already logged'), logged: true });
    await h.deliver(0).catch(() => {});
    const byMessage = (m: string) => h.records.filter((r) => r.message === m);
    expect(byMessage('transport error').map((r) => r.fields)).toEqual([
      { group: h.group, error: broker },
    ]);
    expect(byMessage('a run listener threw')[0]?.fields).toEqual({
      error: new Error('listener bug'),
    });
    const failed = byMessage('task failed')[0]?.fields as { error: Error; offset: string };
    expect(failed.offset).toBe('0');
    expect(failed.error.message).toMatch(/^task threw a non-Error value/);
  });

  it('logs a transport, a plugin and a task that fail to stop, each with its error', async () => {
    const h = serverHarness({
      stop: () => {
        throw new Error('task stop failed');
      },
      server: {
        plugins: [
          {
            name: 'p',
            stop: async () => {
              throw new Error('plugin stop failed');
            },
          },
        ],
      },
    });
    h.transport.stop = async () => {
      throw new Error('transport stop failed');
    };
    await h.server.start();
    await h.server.stop();
    const errors = h.records.filter((r) => r.level === 'error');
    expect(errors.map((r) => [r.message, (r.fields as { error: Error }).error.message])).toEqual([
      ['transport failed to stop cleanly', 'transport stop failed'],
      ['task "order" failed to stop', 'task stop failed'],
      ['plugin "p" failed to stop', 'plugin stop failed'],
    ]);
  });
});

describe('TaskServer.handleSignals logging', () => {
  it('says what the first signal does and what a later one does, without onForce', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const gate = deferred();
    const h = serverHarness({ server: { shutdownTimeoutMs: 60_000 }, run: () => gate.promise });
    await h.server.start();
    const run = h.deliver(0).catch(() => {});
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    const before = process.listeners('SIGUSR2');
    const remove = h.server.handleSignals({ signals: ['SIGUSR2'] });
    onTestFinished(remove);
    const onSignal = process.listeners('SIGUSR2').find((l) => !before.includes(l)) as (
      signal: NodeJS.Signals,
    ) => void;
    onSignal('SIGUSR2');
    now += 5_000;
    expect(() => onSignal('SIGUSR2')).not.toThrow();
    await waitFor(() => h.server.state === 'stopped', 'the forced stop');
    const lines = h.records.filter((r) => r.message.startsWith('SIGUSR2'));
    expect(lines.map((r) => `${r.level} ${r.message}`)).toEqual([
      'info SIGUSR2 received: draining in-flight runs (send again to force)',
      'warn SIGUSR2 again: aborting in-flight runs (they stay uncommitted)',
    ]);
    expect(lines[1]?.fields).toEqual({ inFlight: 1 });
    gate.resolve();
    await run;
  });
});
