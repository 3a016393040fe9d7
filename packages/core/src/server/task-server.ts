import { type ResolvedKqConf, resolveKqConfs } from '../conf/kq-conf.js';
import type {
  DeadLetterBackoff,
  DeadLetterSink,
  DeadLetterTarget,
  HeldDeadLetter,
} from '../dead-letter/types.js';
import { DeadLetterWriter, resolveDeadLetterBackoff } from '../dead-letter/writer.js';
import {
  ConfigError,
  ErrorCodes,
  isTasksError,
  ShutdownError,
  StateError,
  type TaskRunError,
  TransportError,
  toError,
} from '../errors/index.js';
import { newTaskFactory, type TaskFactory } from '../factory/task-factory.js';
import { createConsoleLogger, type Logger } from '../logger/logger.js';
import { planRouting, type RoutingPlan } from '../routing/validate-routes.js';
import type { ITask, ITaskServerCtx } from '../task/types.js';
import type { PushMiddleware } from '../transport/push.js';
import type { ConsumerStatus, Transport, TransportEvent } from '../transport/types.js';
import { createMessageHandler } from './message-runner.js';
import type { TaskMiddleware } from './middleware.js';
import { PartitionSignals } from './partition-signals.js';
import { type ResolvedRetryOptions, type RetryOptions, resolveRetry, sleep } from './retry.js';
import type { RunEvent, RunListener, RunOutcome } from './run-event.js';

/** Something that plugs into the server: middleware around every run, and a hook at stop. */
export interface TaskServerPlugin {
  readonly name: string;
  readonly middleware?: TaskMiddleware;
  /** Middleware for pushers built with this plugin (e.g. a PRODUCER span). */
  readonly pushMiddleware?: PushMiddleware;
  /** Called once, after every task stopped (flush telemetry here). */
  stop?(): Promise<void> | void;
}

export interface TaskServerOptions<T = unknown> {
  readonly transport: Transport;
  /** A factory you already called `gen` on; otherwise the server makes one. */
  readonly factory?: TaskFactory<T>;
  readonly middleware?: readonly TaskMiddleware[];
  readonly plugins?: readonly TaskServerPlugin[];
  /** Receives every message that failed for good, with its coordinates. */
  readonly onError?: (error: TaskRunError) => void | Promise<void>;
  readonly retry?: RetryOptions;
  /**
   * How long `start()` may wait for the transport to connect and join before
   * it stops it and rejects with a `TransportError` of code
   * `TASKS_START_TIMEOUT` naming the last error seen. Default: no limit (the
   * transport retries until it connects or `stop()` is called).
   */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits for in-flight runs before aborting them. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  readonly logger?: Logger;
  /** Where dead letters go, and how a failed write is tried again (see `DeadLetterOptions`). */
  readonly deadLetters?: DeadLetterOptions;
}

/** The server's side of dead letters; which confs write them is each conf's `deadLetter`. */
export interface DeadLetterOptions extends DeadLetterBackoff {
  /** Writes the dead letters; default: the transport's own (`transport.deadLetters()`). */
  readonly sink?: DeadLetterSink;
}

export interface TaskServerStats {
  readonly succeeded: number;
  readonly failed: number;
  readonly retried: number;
  readonly abandoned: number;
  readonly inFlight: number;
  /** Dead letters written. */
  readonly deadLettered: number;
}

/** What `handleSignals` listens to and whom it tells. */
export interface HandleSignalsOptions {
  /** Default `['SIGINT', 'SIGTERM']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** A signal came again while draining; in-flight runs were aborted. Exit here if you want. */
  readonly onForce?: (signal: NodeJS.Signals) => void;
  /** The stop a signal started has settled; `error` when it failed. */
  readonly onStopped?: (error?: Error) => void;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** `TaskServer.status()`: the server's state, its counters and each consumer's. */
export interface TaskServerStatus {
  readonly state: State;
  readonly stats: TaskServerStats;
  readonly consumers: readonly ConsumerStatus[];
  /**
   * Messages that failed for good and whose dead letter could not be written
   * yet: each holds its partition (nothing past it is committed) while the
   * write is tried again.
   */
  readonly heldDeadLetters: readonly HeldDeadLetter[];
}

interface RunningTask {
  readonly taskKey: string;
  readonly conf: ResolvedKqConf;
  readonly task: ITask;
}

/**
 * Runs the tasks of a server context on a transport: validates the whole
 * picture, starts every consumer, and stops by draining in-flight runs.
 */
export class TaskServer<T = unknown> {
  readonly #ctx: ITaskServerCtx<T>;
  readonly #options: TaskServerOptions<T>;
  readonly #logger: Logger;
  readonly #retry: ResolvedRetryOptions;
  readonly #abort = new AbortController();
  readonly #listeners = new Set<RunListener>();
  readonly #tasks: RunningTask[] = [];
  /** Each conf's partition signals, fired when the transport revokes its partitions. */
  readonly #partitionSignals: Array<{ group: string; topic: string; signals: PartitionSignals }> =
    [];
  #state: State = 'idle';
  /** Fires when `stop()` is called: a start still checking dead-letter topics gives up. */
  readonly #startAbort = new AbortController();
  #stopping: Promise<void> | undefined;
  #releasing: Promise<void> | undefined;
  #unlistenTransport: (() => void) | undefined;
  #stats = { succeeded: 0, failed: 0, retried: 0, abandoned: 0, inFlight: 0 };
  #routing: RoutingPlan | undefined;
  #lastTransportError: Error | undefined;
  #deadLetters: { sink: DeadLetterSink; writer: DeadLetterWriter } | undefined;
  readonly #deadLetterBackoff: Required<DeadLetterBackoff>;
  readonly #stopped = Promise.withResolvers<void>();

  constructor(serverCtx: ITaskServerCtx<T>, options: TaskServerOptions<T>) {
    this.#ctx = serverCtx;
    this.#options = options;
    this.#logger = options.logger ?? createConsoleLogger();
    this.#retry = resolveRetry(options.retry);
    const { sink: _sink, ...backoff } = options.deadLetters ?? {};
    this.#deadLetterBackoff = resolveDeadLetterBackoff(backoff);
    const timeout = options.shutdownTimeoutMs;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      throw new ConfigError([
        { path: 'shutdownTimeoutMs', message: `must be a finite number >= 0, got ${timeout}` },
      ]);
    }
    const startTimeout = options.startTimeoutMs;
    if (startTimeout !== undefined && !(Number.isFinite(startTimeout) && startTimeout > 0)) {
      throw new ConfigError([
        { path: 'startTimeoutMs', message: `must be a finite number > 0, got ${startTimeout}` },
      ]);
    }
  }

  get state(): State {
    return this.#state;
  }

  get stats(): TaskServerStats {
    return { ...this.#stats, deadLettered: this.#deadLetters?.writer.written ?? 0 };
  }

  /**
   * What this process consumes, once `start()` has checked the routes: the
   * task key each conf runs, the task keys run here, and the routes nothing
   * here consumes (they are only pushed to). Undefined before that.
   */
  get routing(): RoutingPlan | undefined {
    return this.#routing;
  }

  /** The state, the counters, and where each consumer is (joined, partitions, last fetch and commit, waits). */
  status(): TaskServerStatus {
    return {
      state: this.#state,
      stats: this.stats,
      consumers: this.#options.transport.status?.() ?? [],
      heldDeadLetters: this.#deadLetters?.writer.held() ?? [],
    };
  }

  /** Called for every attempt's outcome; returns a function that removes the listener. */
  onRun(listener: RunListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Validates routes, registrations and confs, builds one task per conf and
   * starts consuming. Throws a `ConfigError` or `RouteError` naming what is
   * wrong, before anything connects. When `stop()` (or a signal) ends a start
   * still connecting, it rejects with a `ShutdownError`.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError(`start() called while ${this.#state}`);
    this.#state = 'starting';
    try {
      const confs = resolveKqConfs(this.#ctx.kafkaConf());
      const factory = this.#options.factory ?? newTaskFactory(this.#ctx);
      this.#ctx.funcRegister()(factory);
      const registrations = factory.registrations();
      const service = confs.flatMap((conf, i) =>
        conf.serviceFields ? [`kafkaConf[${i}]: ${conf.serviceFields.join(', ')}`] : [],
      );
      if (service.length > 0) {
        this.#logger.info(
          `go-zero ServiceConf fields accepted and not used by a task worker (${service.join('; ')})`,
        );
      }
      const inOrder = confs.flatMap((conf, i) =>
        conf.commitInOrder && conf.ordering !== 'partition' ? [`kafkaConf[${i}]`] : [],
      );
      if (inOrder.length > 0) {
        this.#logger.info(
          `commitInOrder is accepted for go-queue compatibility and changes no concurrency (commits always follow finished runs); set ordering: 'partition' for one run at a time per partition (${inOrder.join(', ')})`,
        );
      }
      const routing = planRouting({
        route: this.#ctx.taskRoute(),
        confs,
        registeredKeys: registrations.map((r) => r.key),
      });
      this.#routing = routing;
      const { plan } = routing;
      if (routing.unconsumed.length > 0) {
        this.#logger.info(
          `routes with no consumer in this process (pushed to only): ${routing.unconsumed
            .map((r) => `${r.taskKey} -> ${r.topic}`)
            .join(', ')}`,
        );
      }
      const middleware = [
        ...(this.#options.plugins ?? []).flatMap((p) => (p.middleware ? [p.middleware] : [])),
        ...(this.#options.middleware ?? []),
      ];
      const onError =
        this.#options.onError ?? ((error: TaskRunError) => this.#defaultOnError(error));
      const targets = this.#deadLetterTargets(confs, plan);
      for (const { conf, taskKey } of plan) {
        const registration = registrations.find((r) => r.key === taskKey)!;
        const task = registration.create(conf.topic, this.#ctx);
        this.#tasks.push({ taskKey, conf, task });
        const partitions = new PartitionSignals(conf.topic, this.#abort.signal);
        this.#partitionSignals.push({ group: conf.group, topic: conf.topic, signals: partitions });
        this.#options.transport.subscribe(
          conf,
          createMessageHandler({
            taskKey,
            conf,
            task,
            middleware,
            retry: this.#retry,
            signal: this.#abort.signal,
            partitions,
            timeoutMs: registration.options.timeoutMs ?? conf.taskTimeoutMs,
            isDraining: () => this.#state === 'stopping' || this.#state === 'stopped',
            listening: () => this.#listeners.size > 0,
            report: (outcome, event) => this.#report(outcome, event),
            track: (delta) => {
              this.#stats.inFlight += delta;
            },
            onError,
            ...(conf.deadLetter.enabled && this.#deadLetters
              ? { deadLetters: this.#deadLetters.writer }
              : {}),
            logger: this.#logger,
          }),
        );
      }
      this.#unlistenTransport = this.#options.transport.onEvent((event) =>
        this.#onTransportEvent(event),
      );
      await this.#startTransport(targets);
      // stop() was called while the transport connected: it owns the state now, and
      // flipping back to 'running' would let new messages in while it drains.
      if (this.#stopping) return;
      this.#state = 'running';
      this.#logger.info('task server started', {
        transport: this.#options.transport.name,
        tasks: plan.map((p) => ({ task: p.taskKey, topic: p.conf.topic, group: p.conf.group })),
      });
    } catch (error) {
      this.#state = 'stopping';
      // A dead-letter check still retrying (start timed out) gives up too.
      this.#startAbort.abort();
      this.#abort.abort(new ShutdownError());
      // Subscribing may have opened connections; give them back before failing.
      if (this.#tasks.length > 0) await this.#stopTransport();
      await this.#release();
      throw error;
    }
  }

  /**
   * Stops taking messages, waits up to `shutdownTimeoutMs` for in-flight runs,
   * aborts the rest (they stay uncommitted), commits, calls each task's
   * `stop()` once and flushes the plugins. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.#startAbort.abort();
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped';
      this.#stopped.resolve();
      return;
    }
    this.#state = 'stopping';
    const timeoutMs = this.#options.shutdownTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      this.#logger.warn('shutdown timeout reached; aborting in-flight runs', {
        timeoutMs,
        inFlight: this.#stats.inFlight,
      });
      this.#abort.abort(new ShutdownError());
    }, timeoutMs);
    try {
      await this.#stopTransport();
    } finally {
      clearTimeout(timer);
      if (!this.#abort.signal.aborted) this.#abort.abort(new ShutdownError());
    }
    await this.#release();
    this.#logger.info('task server stopped', { ...this.#stats });
  }

  /**
   * The dead-letter topic of each conf that has them on, and the sink that
   * writes them (the given one, else the transport's); a `ConfigError`
   * naming the conf when there is none.
   */
  #deadLetterTargets(
    confs: readonly ResolvedKqConf[],
    plan: RoutingPlan['plan'],
  ): DeadLetterTarget[] {
    const targets: DeadLetterTarget[] = [];
    for (const { conf } of plan) {
      if (!conf.deadLetter.enabled) continue;
      targets.push({
        conf,
        topic: conf.deadLetter.topic,
        path: `kafkaConf[${confs.indexOf(conf)}]`,
      });
    }
    if (targets.length === 0) return targets;
    const transport = this.#options.transport;
    const sink = this.#options.deadLetters?.sink ?? transport.deadLetters?.();
    if (sink === undefined) {
      throw new ConfigError(
        targets.map((t) => ({
          path: `${t.path}.deadLetter`,
          message: `is on, and the "${transport.name}" transport cannot write dead letters: give the server deadLetters.sink, or set deadLetter.enabled to false`,
        })),
      );
    }
    this.#deadLetters = {
      sink,
      writer: new DeadLetterWriter(sink, this.#logger, this.#deadLetterBackoff),
    };
    return targets;
  }

  /** Checks each dead-letter topic before anything is consumed; names the conf and topic when one cannot be written. */
  async #prepareDeadLetters(targets: readonly DeadLetterTarget[]): Promise<void> {
    const sink = this.#deadLetters?.sink;
    if (sink === undefined) return;
    for (const target of targets) {
      for (let attempt = 1; ; attempt++) {
        if (this.#startAbort.signal.aborted) throw new ShutdownError('stopped while starting');
        try {
          await sink.prepare(target);
          break;
        } catch (error) {
          const failure = this.#deadLetterCheckError(target, error);
          // Brokers not reachable yet: tried again, as the transport's own connect is.
          if (!failure.retriable) throw failure;
          const delayMs = Math.min(
            this.#deadLetterBackoff.maxDelayMs,
            this.#deadLetterBackoff.initialDelayMs * 2 ** Math.min(attempt - 1, 20),
          );
          this.#lastTransportError = failure;
          this.#logger.warn(`${failure.message} (attempt ${attempt}; retrying in ${delayMs} ms)`);
          try {
            await sleep(delayMs, this.#startAbort.signal);
          } catch {
            throw new ShutdownError('stopped while starting');
          }
        }
      }
    }
  }

  /** A failed check of a dead-letter topic as the error `start()` gives: naming the conf and the topic. */
  #deadLetterCheckError(target: DeadLetterTarget, error: unknown): TransportError {
    const cause = toError(error, 'dead-letter topic check failed');
    const { conf, path, topic } = target;
    const what = `${path} (group "${conf.group}", topic "${conf.topic}"): dead-letter topic "${topic}"`;
    const code = isTasksError(cause) ? cause.code : undefined;
    if (code === ErrorCodes.TopicNotFound) {
      return new TransportError(
        ErrorCodes.TopicNotFound,
        `${what} does not exist; create it, let the transport create it (createTopics), name another one (deadLetter.topic) or turn dead letters off (deadLetter.enabled: false)`,
        { cause },
      );
    }
    return new TransportError(
      code === ErrorCodes.AuthenticationFailed || code === ErrorCodes.ConnectionFailed
        ? code
        : ErrorCodes.TransportFailed,
      `${what} cannot be checked: ${cause.message}`,
      { cause, retriable: isTasksError(cause) ? cause.retriable : false },
    );
  }

  /** The transport's start, bounded by `startTimeoutMs` (the caller's catch stops it). */
  async #startTransport(targets: readonly DeadLetterTarget[]): Promise<void> {
    const limit = this.#options.startTimeoutMs;
    const started = (async () => {
      await this.#prepareDeadLetters(targets);
      await this.#options.transport.start();
    })();
    if (limit === undefined) return started;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const last = this.#lastTransportError;
        reject(
          new TransportError(
            ErrorCodes.StartTimeout,
            `the ${this.#options.transport.name} transport did not start within ${limit} ms` +
              (last ? `; last error: ${last.message}` : ''),
            { cause: last, retriable: true },
          ),
        );
      }, limit);
    });
    started.catch(() => {});
    try {
      await Promise.race([started, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #stopTransport(): Promise<void> {
    try {
      await this.#options.transport.stop();
    } catch (error) {
      this.#logger.error('transport failed to stop cleanly', { error: toError(error) });
    }
  }

  /** Stops every task once, then the plugins, and marks the server stopped. Runs once. */
  #release(): Promise<void> {
    this.#releasing ??= this.#releaseOnce();
    return this.#releasing;
  }

  async #releaseOnce(): Promise<void> {
    await this.#stopTasks();
    try {
      await this.#deadLetters?.sink.close();
    } catch (error) {
      this.#logger.error('the dead-letter sink failed to close', { error: toError(error) });
    }
    for (const plugin of this.#options.plugins ?? []) {
      try {
        await plugin.stop?.();
      } catch (error) {
        this.#logger.error(`plugin "${plugin.name}" failed to stop`, { error: toError(error) });
      }
    }
    this.#unlistenTransport?.();
    this.#state = 'stopped';
    this.#stopped.resolve();
  }

  /** Resolves once the server has stopped, whoever stopped it (a signal, `stop()`). */
  stopped(): Promise<void> {
    return this.#stopped.promise;
  }

  /**
   * Stops gracefully on the first SIGINT/SIGTERM. A later one (a second or
   * more after the first; a duplicate delivered within that second is
   * ignored) aborts the runs still in flight, so the stop ends now (they stay
   * uncommitted and are delivered again), then calls `onForce`. It never
   * exits the process: that is the application's call (the sample worker
   * exits with 130 in `onForce`). Call it before `start()` so a signal during
   * the join still leaves the group cleanly. Returns a function that removes
   * the handlers (they also go once the stop settled).
   */
  handleSignals(options: HandleSignalsOptions | readonly NodeJS.Signals[] = {}): () => void {
    const {
      signals = ['SIGINT', 'SIGTERM'],
      onForce,
      onStopped,
    } = Array.isArray(options)
      ? { signals: options as readonly NodeJS.Signals[] }
      : (options as HandleSignalsOptions);
    let firstAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      const now = Date.now();
      // Wrappers (pnpm, shells) may deliver one Ctrl-C twice; only a later signal forces.
      if (firstAt !== 0) {
        if (now - firstAt < 1_000) return;
        this.#logger.warn(`${signal} again: aborting in-flight runs (they stay uncommitted)`, {
          inFlight: this.#stats.inFlight,
        });
        if (!this.#abort.signal.aborted) this.#abort.abort(new ShutdownError());
        onForce?.(signal);
        return;
      }
      firstAt = now;
      this.#logger.info(`${signal} received: draining in-flight runs (send again to force)`);
      this.stop().then(
        () => {
          remove();
          onStopped?.();
        },
        (error: unknown) => {
          this.#logger.error('shutdown failed', { error: toError(error) });
          remove();
          onStopped?.(toError(error));
        },
      );
    };
    const remove = () => {
      for (const s of signals) process.off(s, onSignal);
    };
    for (const s of signals) process.on(s, onSignal);
    return remove;
  }

  async #stopTasks(): Promise<void> {
    const tasks = this.#tasks.splice(0);
    for (const { task, taskKey } of tasks) {
      try {
        await task.stop();
      } catch (error) {
        this.#logger.error(`task "${taskKey}" failed to stop`, { error: toError(error) });
      }
    }
  }

  #report(outcome: RunOutcome, event: RunEvent | undefined): void {
    const s = this.#stats;
    switch (outcome) {
      case 'succeeded':
        s.succeeded += 1;
        break;
      case 'failed':
        s.failed += 1;
        break;
      case 'retrying':
        s.retried += 1;
        break;
      case 'abandoned':
        s.abandoned += 1;
        break;
    }
    if (event === undefined) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error('a run listener threw', { error: toError(error) });
      }
    }
  }

  #onTransportEvent(event: TransportEvent): void {
    if (event.type === 'error') {
      this.#lastTransportError = event.error;
      if (!event.logged) {
        this.#logger.error('transport error', { group: event.group, error: event.error });
      }
    } else if (event.type === 'assigned' || event.type === 'revoked') {
      if (event.type === 'revoked') {
        for (const entry of this.#partitionSignals) {
          if (entry.group === event.group && entry.topic === event.topic) {
            entry.signals.revoke(event.partitions);
          }
        }
      }
      this.#logger.info(`partitions ${event.type}`, {
        group: event.group,
        topic: event.topic,
        partitions: event.partitions,
      });
    }
  }

  #defaultOnError(error: TaskRunError): void {
    this.#logger.error('task failed', {
      ...error.coordinates,
      attempts: error.attempts,
      error: toError(error.cause, 'task threw'),
    });
  }
}

/** Builds a `TaskServer` (the seed registers tasks through the context's `funcRegister`). */
export function newTaskServer<T>(
  serverCtx: ITaskServerCtx<T>,
  options: TaskServerOptions<T>,
): TaskServer<T> {
  return new TaskServer(serverCtx, options);
}
