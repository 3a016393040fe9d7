import {
  ConfigError,
  ErrorCodes,
  type KqConf,
  type Logger,
  newTaskFactory,
  newTaskServer,
  newTaskServerCtx,
  RouteError,
  ShutdownError,
  StateError,
  silentLogger,
  TaskServer,
  type Transport,
  TransportError,
  type TransportEvent,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  captureLogger,
  deferred,
  flush,
  inbound,
  ManualTransport,
  serverHarness,
  track,
  unique,
  waitFor,
} from './support.js';

const brokers = ['localhost:9092'];

/** A server with several task keys, each on its own topic, recording task life events. */
function multiServer(keys: readonly string[], overrides: { stop?: (key: string) => unknown } = {}) {
  const topics = Object.fromEntries(keys.map((k) => [k, unique(k)]));
  const group = unique('group');
  const life: string[] = [];
  const transport = new ManualTransport();
  const { logger, records } = captureLogger();
  const ctx = newTaskServerCtx(
    withTaskRoute(topics),
    withKafkaConf(keys.map((k) => ({ brokers, group, topic: topics[k]! }))),
    withFuncRegister((factory) => {
      for (const key of keys) {
        factory.gen(key, (topic) => {
          life.push(`create ${key} ${topic === topics[key]}`);
          return {
            run() {},
            stop() {
              life.push(`stop ${key}`);
              return overrides.stop?.(key) as undefined;
            },
          };
        });
      }
    }),
  );
  return { ctx, transport, logger, records, life, topics };
}

describe('TaskServer start', () => {
  it('creates one task per conf, subscribes each, then starts the transport', async () => {
    const m = multiServer(['order', 'payment']);
    const server = newTaskServer(m.ctx, { transport: m.transport, logger: m.logger });
    onTestFinished(() => server.stop());
    expect(server).toBeInstanceOf(TaskServer);
    expect(server.state).toBe('idle');
    await server.start();
    expect(server.state).toBe('running');
    expect(m.life).toEqual(['create order true', 'create payment true']);
    expect(m.transport.calls).toEqual([
      `subscribe ${m.topics.order}`,
      `subscribe ${m.topics.payment}`,
      'start',
    ]);
    expect(m.transport.subscriptions.map((s) => s.conf.processors)).toEqual([8, 8]);
    expect(m.records.find((r) => r.message === 'task server started')?.fields).toMatchObject({
      transport: 'manual',
    });
  });

  it('starts with routes only pushed to (the seed example), saying so in one log line', async () => {
    const orders = unique('order-tasks');
    const payments = unique('payment-tasks');
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: orders, payment: payments }),
      withKafkaConf({ brokers, group: 'task-consumer', topic: orders }),
      withFuncRegister((factory) => {
        factory.gen('order', () => ({ run() {}, stop() {} }));
        factory.gen('payment', () => ({ run() {}, stop() {} }));
      }),
    );
    const { logger, records } = captureLogger();
    const server = newTaskServer(ctx, { transport: new ManualTransport(), logger });
    onTestFinished(() => server.stop());
    expect(server.routing).toBeUndefined();
    await server.start();
    const lines = records.filter((r) => r.message.startsWith('routes with no consumer'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('info');
    expect(lines[0]?.message).toContain(`payment -> ${payments}`);
    expect(server.routing?.consumedTaskKeys).toEqual(['order']);
    expect(server.routing?.unconsumed).toEqual([{ taskKey: 'payment', topic: payments }]);
  });

  it('says once at start that commitInOrder changes no concurrency, naming the confs', async () => {
    const topic = unique('order-tasks');
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: topic }),
      withKafkaConf(
        { brokers, group: 'g-in-order', topic, commitInOrder: true },
        { brokers, group: 'g-partition', topic, commitInOrder: true, ordering: 'partition' },
      ),
      withFuncRegister((factory) => factory.gen('order', () => ({ run() {}, stop() {} }))),
    );
    const { logger, records } = captureLogger();
    const server = newTaskServer(ctx, { transport: new ManualTransport(), logger });
    onTestFinished(() => server.stop());
    await server.start();
    const lines = records.filter((r) => r.message.startsWith('commitInOrder is accepted'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('info');
    expect(lines[0]?.message).toContain("ordering: 'partition'");
    // Only the conf that asks for commitInOrder without partition ordering is named.
    expect(lines[0]?.message).toMatch(/\(kafkaConf\[0\]\)$/);
  });

  it('logs the go-zero ServiceConf fields of the confs in one info line', async () => {
    const topic = unique('order-tasks');
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: topic }),
      withKafkaConf({
        Brokers: brokers,
        Group: 'g',
        Topic: topic,
        Name: 'svc',
        Log: { Level: 'info' },
        Telemetry: { Name: 'svc' },
      } as unknown as KqConf),
      withFuncRegister((factory) => factory.gen('order', () => ({ run() {}, stop() {} }))),
    );
    const { logger, records } = captureLogger();
    const server = newTaskServer(ctx, { transport: new ManualTransport(), logger });
    onTestFinished(() => server.stop());
    await server.start();
    const lines = records.filter((r) => r.message.includes('ServiceConf'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('info');
    expect(lines[0]?.message).toContain('kafkaConf[0]: Name, Log, Telemetry');
  });

  it('runs gopkg-form routes ("<topic>.<group>": task key), two groups on one topic', async () => {
    const topic = unique('order-tasks');
    const ran: string[] = [];
    const task = (name: string) => () => ({
      run: (_ctx: unknown, _key: string, value: string) => {
        ran.push(`${name}:${value}`);
      },
      stop() {},
    });
    const ctx = newTaskServerCtx(
      withTaskRoute({ [`${topic}.billing`]: 'charge', [`${topic}.audit`]: 'record' }),
      withKafkaConf({ brokers, group: 'billing', topic }, { brokers, group: 'audit', topic }),
      withFuncRegister((factory) => {
        factory.gen('charge', task('charge'));
        factory.gen('record', task('record'));
      }),
    );
    const transport = new ManualTransport();
    const server = newTaskServer(ctx, { transport, logger: captureLogger().logger });
    onTestFinished(() => server.stop());
    await server.start();
    expect(server.routing?.plan.map((p) => `${p.conf.group}:${p.taskKey}`)).toEqual([
      'billing:charge',
      'audit:record',
    ]);
    expect(transport.subscriptions.map((s) => s.conf.group)).toEqual(['billing', 'audit']);
  });

  it('uses a factory given in the options alongside funcRegister', async () => {
    const topic = unique('orders');
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: topic }),
      withKafkaConf({ brokers, group: unique('g'), topic }),
    );
    const factory = newTaskFactory(ctx);
    const ran: string[] = [];
    factory.gen('order', () => ({
      run: (_ctx, _key, value) => {
        ran.push(value);
      },
      stop() {},
    }));
    const transport = new ManualTransport();
    const server = newTaskServer(ctx, { transport, factory, logger: captureLogger().logger });
    onTestFinished(() => server.stop());
    await server.start();
    await transport.deliver(inbound(topic, 0, { text: 'hello' }));
    expect(ran).toEqual(['hello']);
  });

  it('throws StateError when started twice, or after stopping', async () => {
    const h = serverHarness();
    await h.server.start();
    const again = await h.server.start().catch((error: unknown) => error);
    expect(again).toBeInstanceOf(StateError);
    expect((again as StateError).code).toBe(ErrorCodes.InvalidState);
    await h.server.stop();
    await expect(h.server.start()).rejects.toBeInstanceOf(StateError);
    expect(h.transport.calls.filter((c) => c === 'start')).toHaveLength(1);
  });

  it('throws a RouteError before the transport is touched', async () => {
    const m = multiServer(['order']);
    const ctx = newTaskServerCtx(
      withTaskRoute({ ...m.ctx.taskRoute(), ghost: 'ghosts' }),
      // A route to a topic consumed here needs its task registered.
      withKafkaConf(m.ctx.kafkaConf(), { brokers, group: 'g', topic: 'ghosts' }),
      withFuncRegister(m.ctx.funcRegister()),
    );
    const server = newTaskServer(ctx, { transport: m.transport, logger: m.logger });
    const error = await server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouteError);
    expect((error as RouteError).problems.map((p) => p.path)).toEqual(['taskRoute.ghost']);
    expect(m.transport.calls).toEqual([]);
    expect(m.life).toEqual([]);
    expect(server.state).toBe('stopped');
  });

  it('throws a ConfigError for a bad conf before the transport is touched', async () => {
    const transport = new ManualTransport();
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: 'orders' }),
      withKafkaConf({ brokers: [], group: 'g', topic: 'orders', processors: 0 }),
    );
    const server = newTaskServer(ctx, { transport, logger: captureLogger().logger });
    const error = await server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual([
      'kafkaConf[0].brokers',
      'kafkaConf[0].processors',
    ]);
    expect(transport.calls).toEqual([]);
  });

  it('stops the tasks already created when a later one fails to build', async () => {
    const topics = { a: unique('a'), b: unique('b') };
    const stopped: string[] = [];
    const ctx = newTaskServerCtx(
      withTaskRoute(topics),
      withKafkaConf([
        { brokers, group: 'g', topic: topics.a },
        { brokers, group: 'g', topic: topics.b },
      ]),
      withFuncRegister((factory) => {
        factory.gen('a', () => ({
          run() {},
          stop() {
            stopped.push('a');
          },
        }));
        factory.gen('b', () => {
          throw new Error('cannot build b');
        });
      }),
    );
    const transport = new ManualTransport();
    const server = newTaskServer(ctx, { transport, logger: captureLogger().logger });
    await expect(server.start()).rejects.toThrow('cannot build b');
    expect(stopped).toEqual(['a']);
    expect(transport.calls).not.toContain('start');
  });

  it('cleans up when the transport fails to start', async () => {
    const m = multiServer(['order']);
    m.transport.startError = new Error('no brokers');
    const server = newTaskServer(m.ctx, { transport: m.transport, logger: m.logger });
    await expect(server.start()).rejects.toThrow('no brokers');
    expect(server.state).toBe('stopped');
    expect(m.life).toEqual(['create order true', 'stop order']);
    expect(m.transport.listenerCount).toBe(0);
    await server.stop();
    expect(m.life.filter((e) => e === 'stop order')).toHaveLength(1);
  });

  it('validates shutdownTimeoutMs at construction: a ConfigError naming the option', () => {
    const ctx = newTaskServerCtx();
    for (const shutdownTimeoutMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let thrown: unknown;
      try {
        new TaskServer(ctx, { transport: new ManualTransport(), shutdownTimeoutMs });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).problems).toEqual([
        { path: 'shutdownTimeoutMs', message: expect.stringContaining(String(shutdownTimeoutMs)) },
      ]);
    }
  });
});

describe('TaskServer stop', () => {
  it('lets runs that finish within shutdownTimeoutMs complete', async () => {
    const gate = deferred();
    let abortedAtEnd: boolean | undefined;
    const h = serverHarness({
      server: { shutdownTimeoutMs: 5_000 },
      run: async (ctx) => {
        await gate.promise;
        abortedAtEnd = ctx.signal.aborted;
      },
    });
    await h.server.start();
    const handled = track(h.deliver(0));
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    const stopping = track(h.server.stop());
    expect(h.server.state).toBe('stopping');
    await flush();
    expect(stopping.settled()).toBe(false);
    gate.resolve();
    await expect(handled.result).resolves.toEqual({ ok: true, value: undefined });
    await stopping.result;
    expect(abortedAtEnd).toBe(false);
    expect(h.server.state).toBe('stopped');
    expect(h.outcomes()).toEqual(['succeeded#1']);
    expect(h.taskStops()).toBe(1);
  });

  it('aborts runs that outlast shutdownTimeoutMs: the handler rejects, the message stays uncommitted', async () => {
    let reason: unknown;
    const h = serverHarness({
      server: { shutdownTimeoutMs: 10 },
      run: (ctx) =>
        new Promise<void>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            reject(new Error('aborted by signal'));
          });
        }),
    });
    await h.server.start();
    const handled = track(h.deliver(0));
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    await h.server.stop();
    const result = await handled.result;
    expect(result.ok).toBe(false);
    expect((result as { error: unknown }).error).toBeInstanceOf(ShutdownError);
    expect(reason).toBeInstanceOf(ShutdownError);
    expect(h.outcomes()).toEqual(['abandoned#1']);
    expect(h.errors).toEqual([]);
    expect(h.server.stats).toMatchObject({ abandoned: 1, failed: 0, inFlight: 0 });
    expect(h.records.some((r) => r.message.includes('shutdown timeout reached'))).toBe(true);
  });

  it('finishes by the deadline even when a task ignores the signal', async () => {
    const h = serverHarness({
      server: { shutdownTimeoutMs: 10 },
      run: () => new Promise<void>(() => {}),
    });
    await h.server.start();
    const handled = track(h.deliver(0));
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    await h.server.stop();
    const result = await handled.result;
    expect(result.ok).toBe(false);
    expect((result as { error: unknown }).error).toBeInstanceOf(ShutdownError);
    expect(h.server.state).toBe('stopped');
    expect(h.taskStops()).toBe(1);
  });

  it('finishes by the deadline even when the error handler hangs, leaving the message unfinished', async () => {
    let handlerCalled = false;
    const h = serverHarness({
      server: {
        shutdownTimeoutMs: 10,
        onError: () => {
          handlerCalled = true;
          return new Promise<void>(() => {});
        },
      },
      run: () => {
        throw new Error('task broke');
      },
    });
    await h.server.start();
    const handled = track(h.deliver(0));
    await waitFor(() => handlerCalled, 'the error handler');
    await h.server.stop();
    const result = await handled.result;
    expect(result.ok).toBe(false);
    expect((result as { error: unknown }).error).toBeInstanceOf(ShutdownError);
    // Not 'failed' as well: the message was never finished, so it counts once, as abandoned.
    expect(h.outcomes()).toEqual(['abandoned#1']);
    expect(h.server.stats).toMatchObject({ failed: 0, abandoned: 1 });
    expect(h.taskStops()).toBe(1);
  });

  it("calls each task's stop() once, then the plugins', however often stop() is called", async () => {
    const m = multiServer(['order', 'payment'], {
      stop: (key) => {
        if (key === 'order') throw new Error('order stop broke');
      },
    });
    const pluginStops: string[] = [];
    const server = newTaskServer(m.ctx, {
      transport: m.transport,
      logger: m.logger,
      plugins: [
        {
          name: 'broken',
          stop() {
            pluginStops.push('broken');
            throw new Error('flush failed');
          },
        },
        {
          name: 'otel',
          async stop() {
            pluginStops.push(`otel after ${m.life.filter((e) => e.startsWith('stop')).length}`);
          },
        },
        { name: 'stateless' },
      ],
    });
    await server.start();
    const first = server.stop();
    const second = server.stop();
    await Promise.all([first, second]);
    await server.stop();
    expect(m.life.filter((e) => e.startsWith('stop'))).toEqual(['stop order', 'stop payment']);
    expect(pluginStops).toEqual(['broken', 'otel after 2']);
    expect(m.transport.calls.filter((c) => c === 'stop')).toHaveLength(1);
    const errors = m.records.filter((r) => r.level === 'error').map((r) => r.message);
    expect(errors).toEqual(['task "order" failed to stop', 'plugin "broken" failed to stop']);
    expect(m.transport.listenerCount).toBe(0);
  });

  it('rejects messages that arrive once stopping began, without running them', async () => {
    const gate = deferred();
    const ran: string[] = [];
    const h = serverHarness({
      server: { shutdownTimeoutMs: 5_000 },
      run: async (ctx) => {
        ran.push(ctx.offset);
        await gate.promise;
      },
    });
    await h.server.start();
    const first = h.deliver(0);
    await waitFor(() => ran.length === 1, 'the first run');
    const stopping = h.server.stop();
    await expect(h.deliver(1)).rejects.toBeInstanceOf(ShutdownError);
    gate.resolve();
    await first;
    await stopping;
    await expect(h.deliver(2)).rejects.toBeInstanceOf(ShutdownError);
    expect(ran).toEqual(['0']);
  });

  it('logs a transport that fails to stop, and still stops the tasks', async () => {
    const h = serverHarness();
    await h.server.start();
    h.transport.stop = async () => {
      throw new Error('leave group failed');
    };
    await h.server.stop();
    expect(h.taskStops()).toBe(1);
    expect(h.records.find((r) => r.message === 'transport failed to stop cleanly')?.level).toBe(
      'error',
    );
  });

  it('stopping an idle server does nothing but mark it stopped', async () => {
    const h = serverHarness();
    await h.server.stop();
    expect(h.server.state).toBe('stopped');
    expect(h.transport.calls).toEqual([]);
    await expect(h.server.start()).rejects.toBeInstanceOf(StateError);
  });

  it('stays stopping when stop() is called while start() is still connecting', async () => {
    const connected = deferred();
    const left = deferred();
    const ran: string[] = [];
    const h = serverHarness({
      run: (ctx) => {
        ran.push(ctx.offset);
      },
    });
    h.transport.start = async () => {
      h.transport.calls.push('start');
      await connected.promise;
    };
    h.transport.stop = async () => {
      h.transport.calls.push('stop');
      await left.promise;
    };
    const starting = track(h.server.start());
    await waitFor(() => h.transport.calls.includes('start'), 'the transport to start');
    const stopping = h.server.stop();
    await waitFor(() => h.transport.calls.includes('stop'), 'the transport to stop');
    try {
      // The connection completes while the transport is still leaving.
      connected.resolve();
      await starting.result;
      expect(h.server.state).toBe('stopping');
      await expect(h.deliver(0)).rejects.toBeInstanceOf(ShutdownError);
    } finally {
      left.resolve();
    }
    await stopping;
    expect(h.server.state).toBe('stopped');
    expect(ran).toEqual([]);
    expect(h.taskStops()).toBe(1);
  });
});

describe('TaskServer observation', () => {
  it('counts outcomes in stats', async () => {
    const h = serverHarness({
      server: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
      run: (ctx) => {
        if (ctx.offset === '1') throw new Error('always');
        if (ctx.offset === '2' && ctx.attempt === 1) throw new Error('once');
      },
    });
    await h.server.start();
    await h.deliver(0);
    await h.deliver(1);
    await h.deliver(2);
    expect(h.server.stats).toEqual({
      succeeded: 2,
      failed: 1,
      retried: 2,
      abandoned: 0,
      inFlight: 0,
      deadLettered: 1,
    });
    // A copy: changing it changes nothing.
    const stats = h.server.stats as { succeeded: number };
    stats.succeeded = 99;
    expect(h.server.stats.succeeded).toBe(2);
  });

  it('reports each attempt to onRun listeners until they unsubscribe, containing throwing ones', async () => {
    const h = serverHarness();
    const seen: string[] = [];
    h.server.onRun(() => {
      throw new Error('listener broke');
    });
    const off = h.server.onRun((event) => seen.push(`${event.outcome}@${event.offset}`));
    await h.server.start();
    await h.deliver(0);
    off();
    await h.deliver(1);
    expect(seen).toEqual(['succeeded@0']);
    expect(h.outcomes()).toEqual(['succeeded#1', 'succeeded#1']);
    expect(h.records.filter((r) => r.message === 'a run listener threw')).toHaveLength(2);
  });

  it('logs transport events', async () => {
    const h = serverHarness();
    await h.server.start();
    h.transport.emit({ type: 'error', error: new Error('broker gone'), group: h.group });
    h.transport.emit({ type: 'assigned', group: h.group, topic: h.topic, partitions: [0, 1] });
    h.transport.emit({ type: 'revoked', group: h.group, topic: h.topic, partitions: [1] });
    const logged = h.records.filter((r) => /transport error|partitions/.test(r.message));
    expect(logged.map((r) => `${r.level} ${r.message}`)).toEqual([
      'error transport error',
      'info partitions assigned',
      'info partitions revoked',
    ]);
    expect(logged[1]!.fields).toMatchObject({ partitions: [0, 1], topic: h.topic });
  });
});

type Listeners = NodeJS.SignalsListener[];

describe('TaskServer.handleSignals', () => {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  let savedExitCode: typeof process.exitCode;

  beforeEach(() => {
    savedExitCode = process.exitCode;
  });

  afterEach(() => {
    process.exitCode = savedExitCode;
    vi.restoreAllMocks();
  });

  /** The listener handleSignals added for `signal` (we call it directly: no real signal is sent). */
  function added(before: Map<NodeJS.Signals, Listeners>, signal: (typeof signals)[number]) {
    const fresh = process.listeners(signal).filter((l) => !before.get(signal)!.includes(l));
    expect(fresh).toHaveLength(1);
    return fresh[0] as (signal: NodeJS.Signals) => void;
  }

  function snapshot(): Map<NodeJS.Signals, Listeners> {
    return new Map(signals.map((s) => [s, [...process.listeners(s)]]));
  }

  it('installs one listener per signal and removes them', () => {
    const h = serverHarness();
    const before = snapshot();
    const remove = h.server.handleSignals();
    for (const s of signals) expect(process.listenerCount(s)).toBe(before.get(s)!.length + 1);
    remove();
    for (const s of signals) expect(process.listeners(s)).toEqual(before.get(s));
  });

  it('stops gracefully on the first signal, then removes its listeners', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const h = serverHarness();
    await h.server.start();
    const before = snapshot();
    h.server.handleSignals();
    added(before, 'SIGTERM')('SIGTERM');
    expect(h.server.state).toBe('stopping');
    await waitFor(() => h.server.state === 'stopped', 'the server to stop');
    await waitFor(
      () => signals.every((s) => process.listenerCount(s) === before.get(s)!.length),
      'the listeners to be removed',
    );
    expect(h.taskStops()).toBe(1);
    expect(exit).not.toHaveBeenCalled();
  });

  it('aborts in-flight runs on a second signal and calls onForce, never process.exit', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const gate = deferred();
    const h = serverHarness({ server: { shutdownTimeoutMs: 60_000 }, run: () => gate.promise });
    await h.server.start();
    const handled = h.deliver(0).catch(() => {});
    await waitFor(() => h.server.stats.inFlight === 1, 'the run to start');
    const before = snapshot();
    const forced: NodeJS.Signals[] = [];
    let stopped = 0;
    const remove = h.server.handleSignals({
      onForce: (signal) => forced.push(signal),
      onStopped: () => stopped++,
    });
    onTestFinished(remove);
    const onSignal = added(before, 'SIGINT');
    onSignal('SIGINT');
    expect(h.server.state).toBe('stopping');
    // The same Ctrl-C delivered twice (by a wrapper) does not force.
    now += 100;
    onSignal('SIGINT');
    expect(forced).toEqual([]);
    now += 5_000;
    onSignal('SIGINT');
    expect(forced).toEqual(['SIGINT']);
    // The run never finishes by itself: the abort is what ends the stop, long before the timeout.
    await waitFor(() => h.server.state === 'stopped', 'the forced stop to end');
    await waitFor(() => stopped === 1, 'onStopped');
    expect(exit).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(savedExitCode);
    gate.resolve();
    await handled;
  });

  it('accepts a list of signals, as before', () => {
    const h = serverHarness();
    const before = process.listenerCount('SIGHUP');
    const remove = h.server.handleSignals(['SIGHUP']);
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    remove();
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });
});

describe('TaskServer stop() during start()', () => {
  it('stops tasks and plugins once when stop() races a start() that then fails', async () => {
    let pluginStops = 0;
    let taskStops = 0;
    let failStart: ((error: Error) => void) | undefined;
    const transport = {
      name: 'slow',
      subscribe() {},
      start: () =>
        new Promise<void>((_, reject) => {
          failStart = reject;
        }),
      commit: async () => {},
      stop: async () => {
        failStart?.(new Error('connect aborted'));
      },
      onEvent: () => () => {},
    };
    const server = newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ t: 'topic-t' }),
        // These transports write no dead letters.
        withKafkaConf({
          brokers: ['h:1'],
          group: 'g',
          topic: 'topic-t',
          deadLetter: { enabled: false },
        }),
        withFuncRegister((factory) =>
          factory.gen('t', () => ({
            run() {},
            stop() {
              taskStops += 1;
            },
          })),
        ),
      ),
      {
        transport,
        logger: silentLogger,
        plugins: [
          {
            name: 'p',
            stop: () => {
              pluginStops += 1;
            },
          },
        ],
      },
    );
    const starting = server.start();
    await waitFor(() => failStart !== undefined, 'the transport to start connecting');
    await server.stop();
    await expect(starting).rejects.toThrow('connect aborted');
    expect({ taskStops, pluginStops, state: server.state }).toEqual({
      taskStops: 1,
      pluginStops: 1,
      state: 'stopped',
    });
  });
});

describe('TaskServer startTimeoutMs and status()', () => {
  /** A transport that never connects: it reports one connection error, logged already. */
  function neverStarts() {
    let listener: ((event: TransportEvent) => void) | undefined;
    let stops = 0;
    let giveUp: (error: Error) => void = () => {};
    const transport = {
      name: 'stuck',
      subscribe() {},
      start: () => {
        listener?.({
          type: 'error',
          error: new Error('connect ECONNREFUSED 127.0.0.1:1'),
          group: 'g',
          logged: true,
        });
        return new Promise<void>((_, reject) => {
          giveUp = reject;
        });
      },
      commit: async () => {},
      stop: async () => {
        stops += 1;
        giveUp(new Error('stopped'));
      },
      onEvent: (l: (event: TransportEvent) => void) => {
        listener = l;
        return () => {};
      },
      status: () => [
        {
          group: 'g',
          topic: 'topic-t',
          joined: false,
          partitions: [],
          uncommitted: 0,
          waiting: { what: 'joining', since: 1 },
        },
      ],
    };
    return { transport, stops: () => stops };
  }

  function serverOn(transport: Transport, options: { startTimeoutMs?: number; logger?: Logger }) {
    return newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ t: 'topic-t' }),
        // These transports write no dead letters.
        withKafkaConf({
          brokers: ['h:1'],
          group: 'g',
          topic: 'topic-t',
          deadLetter: { enabled: false },
        }),
        withFuncRegister((factory) => factory.gen('t', () => ({ run() {}, stop() {} }))),
      ),
      { transport, logger: options.logger ?? silentLogger, ...options },
    );
  }

  it('fails start with a typed error naming the last error, and stops the transport', async () => {
    const stuck = neverStarts();
    const lines: string[] = [];
    const logger = { ...silentLogger, error: (message: string) => void lines.push(message) };
    const server = serverOn(stuck.transport, { startTimeoutMs: 200, logger });
    const started = Date.now();
    const error = await server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: ErrorCodes.StartTimeout });
    expect((error as Error).message).toContain('within 200 ms');
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stuck.stops()).toBe(1);
    expect(server.state).toBe('stopped');
    // The transport logged its error already: the server does not log it a second time.
    expect(lines).toEqual([]);
  });

  it('rejects a startTimeoutMs that is not a positive number', () => {
    expect(() => serverOn(neverStarts().transport, { startTimeoutMs: 0 })).toThrow(ConfigError);
    expect(() => serverOn(neverStarts().transport, { startTimeoutMs: 0 })).toThrow(
      'startTimeoutMs',
    );
  });

  it('reports each consumer through status()', () => {
    const server = serverOn(neverStarts().transport, {});
    expect(server.status()).toMatchObject({
      state: 'idle',
      stats: { succeeded: 0 },
      consumers: [{ group: 'g', joined: false, waiting: { what: 'joining' } }],
    });
  });
});
