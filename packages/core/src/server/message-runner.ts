import type { ResolvedKqConf } from '../conf/kq-conf.js';
import { deadLetterHeaders } from '../dead-letter/headers.js';
import type { DeadLetterWriter } from '../dead-letter/writer.js';
import {
  ErrorCodes,
  isTasksError,
  type MessageCoordinates,
  ShutdownError,
  TaskRunError,
  toError,
} from '../errors/index.js';
import type { Logger } from '../logger/logger.js';
import type { ITask, TraceCarrier } from '../task/types.js';
import { type Settle, type SettleHandler, settleForm } from '../transport/settle.js';
import type { InboundMessage, MessageHandler } from '../transport/types.js';
import { isThenable, type RaceWatcher } from './abort-race.js';
import { AttemptTimer } from './attempt-timer.js';
import { type DecodedPayload, decodePayload, traceCarrierOf } from './decode.js';
import { allPassThrough, compose, type TaskMiddleware } from './middleware.js';
import { type PartitionSignal, PartitionSignals } from './partition-signals.js';
import { backoffDelay, type ResolvedRetryOptions, sleep } from './retry.js';
import { AttemptContext, payloadOf, type RunContext } from './run-context.js';
import type { RunEvent, RunOutcome } from './run-event.js';

export interface MessageRunnerDeps {
  readonly taskKey: string;
  readonly conf: ResolvedKqConf;
  readonly task: ITask;
  readonly middleware: readonly TaskMiddleware[];
  readonly retry: ResolvedRetryOptions;
  /** Fires when the server stops taking new work and in-flight runs must end. */
  readonly signal: AbortSignal;
  /**
   * The conf's partition signals (they fire on revocation too); the server
   * keeps them to revoke. Made from `signal` when absent.
   */
  readonly partitions?: PartitionSignals;
  /** Longest one attempt may run before its signal fires and it counts as failed; 0: no limit. */
  readonly timeoutMs?: number;
  /** True once the server is draining: new messages are refused. */
  readonly isDraining: () => boolean;
  /** True when someone listens for run events: only then are they built. */
  readonly listening: () => boolean;
  /** Counts an outcome, and hands `event` (given only when `listening()`) to the listeners. */
  readonly report: (outcome: RunOutcome, event?: RunEvent) => void;
  /** Counts runs in flight: +1 when a message starts, -1 when it settles. */
  readonly track: (delta: 1 | -1) => void;
  readonly onError: (error: TaskRunError) => void | Promise<void>;
  /**
   * Writes the conf's dead letters (absent: dead letters are off). A message
   * that failed for good is finished only once its letter is written.
   */
  readonly deadLetters?: DeadLetterWriter;
  readonly logger: Logger;
}

/**
 * What `next()` gives middleware when the task returned a plain value: one
 * shared, fulfilled promise. A chain that hands it straight back (tracing
 * at sampler 0 does) finished before it returned, so the run settles at
 * once, as it does without middleware.
 */
const finishedAtOnce: Promise<void> = Promise.resolve();

function isNonRetriable(error: Error): boolean {
  return isTasksError(error) && error.code === ErrorCodes.NonRetriable;
}

/**
 * Builds the handler a transport calls for each message of one conf: decode,
 * middleware, `task.run`, retries with backoff, and error isolation. No
 * failure of the task escapes it; it rejects only when the server stops
 * before the message is finished.
 *
 * The first attempt is the hot path: one context object, the task called
 * directly when there is no middleware, a race against shutdown only when
 * the task returned a promise, and no event built unless someone listens.
 */
export function createMessageHandler(deps: MessageRunnerDeps): MessageHandler {
  const { conf, task, retry, signal, taskKey, logger } = deps;
  const { group, unwrapEnvelope } = conf;
  const composed =
    deps.middleware.length === 0
      ? undefined
      : compose(deps.middleware, (ctx) => {
          const { key, value } = (ctx as RunContext)[payloadOf];
          const result = task.run(ctx, key, value);
          return isThenable(result) ? Promise.resolve(result) : finishedAtOnce;
        });
  const partitions = deps.partitions ?? new PartitionSignals(conf.topic, signal);
  const timeoutMs = deps.timeoutMs ?? 0;

  const { middleware } = deps;
  /** One attempt: what the task (or the middleware around it) returned. */
  const attempt = (ctx: AttemptContext, payload: DecodedPayload): unknown =>
    composed && !allPassThrough(middleware, ctx)
      ? composed(ctx)
      : task.run(ctx, payload.key, payload.value);

  /** One attempt under a timeout: its own signal, and a race that ends at the timeout. */
  async function timedAttempt(
    message: InboundMessage,
    payload: DecodedPayload,
    trace: TraceCarrier,
    attemptNo: number,
    lane: PartitionSignal,
  ): Promise<void> {
    const timer = new AttemptTimer(lane.signal, timeoutMs);
    try {
      const ctx = new AttemptContext(
        message,
        payload,
        trace,
        taskKey,
        group,
        attemptNo,
        timer.signal,
        logger,
      );
      const result = attempt(ctx, payload);
      if (isThenable(result)) await timer.race(result);
    } finally {
      timer.dispose();
    }
  }

  /**
   * A first attempt whose task returned a promise: told (by the partition's
   * race) how it ended, then hands the run back to the transport.
   */
  class PendingAttempt<T> implements RaceWatcher {
    constructor(
      readonly message: InboundMessage,
      readonly payload: DecodedPayload,
      readonly trace: TraceCarrier,
      readonly started: number | undefined,
      readonly lane: PartitionSignal,
      readonly settle: Settle<T>,
      readonly token: T,
    ) {}

    resolved(): void {
      report(this.message, 'succeeded', 1, this.started);
      deps.track(-1);
      this.settle(this.token, true);
    }

    rejected(thrown: unknown): void {
      retryFrom(
        this.message,
        this.payload,
        this.trace,
        this.started,
        thrown,
        this.lane,
        Date.now(),
      ).then(
        () => {
          deps.track(-1);
          this.settle(this.token, true);
        },
        (error: unknown) => {
          deps.track(-1);
          this.settle(this.token, false, error);
        },
      );
    }
  }

  /**
   * The run of one message, in callback form: a task that returns a plain
   * value settles before this returns, with no promise made; one that
   * returns a promise is watched by its partition's race (no promise of ours).
   */
  const run: SettleHandler = (message, settle, token) => {
    if (deps.isDraining() || signal.aborted) {
      settle(token, false, new ShutdownError());
      return;
    }
    deps.track(1);
    const payload = decodePayload(message, unwrapEnvelope);
    const trace = traceCarrierOf(message, payload, unwrapEnvelope);
    const started = deps.listening() ? performance.now() : undefined;
    // Fires on revocation of the partition and on shutdown.
    const lane = partitions.get(message.partition);
    if (timeoutMs !== 0) {
      const pending = new PendingAttempt(message, payload, trace, started, lane, settle, token);
      timedAttempt(message, payload, trace, 1, lane).then(
        () => pending.resolved(),
        (thrown: unknown) => pending.rejected(thrown),
      );
      return;
    }
    let result: unknown;
    try {
      result = attempt(
        new AttemptContext(message, payload, trace, taskKey, group, 1, lane.signal, logger),
        payload,
      );
    } catch (thrown) {
      new PendingAttempt(message, payload, trace, started, lane, settle, token).rejected(thrown);
      return;
    }
    // The task returned a plain value and every middleware handed next()'s promise straight back.
    if (isThenable(result) && result !== finishedAtOnce) {
      lane.race.watch(
        result,
        new PendingAttempt(message, payload, trace, started, lane, settle, token),
      );
      return;
    }
    report(message, 'succeeded', 1, started);
    deps.track(-1);
    settle(token, true);
  };

  const settlePromise: Settle<PromiseWithResolvers<void>> = (done, finished, error) => {
    if (finished) done.resolve();
    else done.reject(error);
  };

  // The promise form every transport may call; core's Dispatcher takes the callback form.
  return Object.assign(
    (message: InboundMessage): Promise<void> => {
      const done = Promise.withResolvers<void>();
      run(message, settlePromise, done);
      return done.promise;
    },
    { [settleForm]: run },
  );

  function report(
    message: InboundMessage,
    outcome: RunOutcome,
    attemptNo: number,
    started: number | undefined,
    extra?: Pick<RunEvent, 'error' | 'failure' | 'deadLetterTopic'>,
  ): void {
    if (!deps.listening()) {
      deps.report(outcome);
      return;
    }
    deps.report(outcome, {
      outcome,
      ...coordinates(message),
      attempt: attemptNo,
      durationMs: started === undefined ? 0 : performance.now() - started,
      message,
      ...extra,
    });
  }

  function coordinates(message: InboundMessage): MessageCoordinates {
    return {
      taskKey,
      group,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
    };
  }

  /** The slow path, after attempt 1 threw: error handling, retries with backoff. */
  async function retryFrom(
    message: InboundMessage,
    payload: DecodedPayload,
    trace: TraceCarrier,
    started: number | undefined,
    firstFailure: unknown,
    lane: PartitionSignal,
    firstFailureAt: number,
  ): Promise<void> {
    const laneSignal = lane.signal;
    let thrown = firstFailure;
    for (let attemptNo = 1; ; attemptNo++) {
      if (attemptNo > 1) {
        try {
          if (timeoutMs === 0) {
            const ctx = new AttemptContext(
              message,
              payload,
              trace,
              taskKey,
              group,
              attemptNo,
              laneSignal,
              logger,
            );
            const result = attempt(ctx, payload);
            if (isThenable(result)) await lane.race.race(result);
          } else {
            await timedAttempt(message, payload, trace, attemptNo, lane);
          }
          report(message, 'succeeded', attemptNo, started);
          return;
        } catch (error) {
          thrown = error;
        }
      }
      if (laneSignal.aborted) {
        report(message, 'abandoned', attemptNo, started);
        throw signal.aborted
          ? new ShutdownError(
              `stopped before ${message.topic}[${message.partition}]@${message.offset} finished`,
            )
          : toError(laneSignal.reason);
      }
      const error = toError(thrown, 'task threw');
      const final = isNonRetriable(error) || (attemptNo >= retry.maxAttempts && conf.forceCommit);
      if (final) {
        const failure = new TaskRunError(coordinates(message), attemptNo, error);
        try {
          // Bounded by shutdown like the run: a hung error handler must not hold stop().
          const handled = deps.onError(failure);
          if (isThenable(handled)) await lane.race.race(handled);
        } catch (handlerError) {
          if (laneSignal.aborted) {
            report(message, 'abandoned', attemptNo, started);
            throw new ShutdownError(
              `stopped while the error handler of ${message.topic}[${message.partition}]@${message.offset} ran`,
            );
          }
          deps.logger.error('the error handler threw', {
            ...coordinates(message),
            error: toError(handlerError, 'error handler threw'),
          });
        }
        const writer = deps.deadLetters;
        if (writer !== undefined) {
          try {
            await writer.write(
              {
                conf,
                topic: conf.deadLetter.topic,
                key: message.key,
                value: message.value,
                headers: deadLetterHeaders(message.headers, {
                  topic: message.topic,
                  partition: message.partition,
                  offset: message.offset,
                  key: message.key,
                  timestamp: message.timestamp,
                  taskKey,
                  group,
                  error,
                  attempts: attemptNo,
                  firstFailureAt,
                  lastFailureAt: Date.now(),
                }),
              },
              { group, topic: message.topic, partition: message.partition, offset: message.offset },
              laneSignal,
            );
          } catch {
            // Only a stop or a revocation ends the wait: the message stays uncommitted.
            report(message, 'abandoned', attemptNo, started);
            throw signal.aborted
              ? new ShutdownError(
                  `stopped while the dead letter of ${message.topic}[${message.partition}]@${message.offset} waited to be written`,
                )
              : toError(laneSignal.reason);
          }
        }
        // Reported once the error handler is done: a stop that cut it short reports 'abandoned' instead.
        report(message, 'failed', attemptNo, started, {
          error,
          failure,
          ...(writer === undefined ? {} : { deadLetterTopic: conf.deadLetter.topic }),
        });
        return;
      }
      report(message, 'retrying', attemptNo, started, { error });
      if (attemptNo >= retry.maxAttempts) {
        deps.logger.warn('holding the partition at a failing message (forceCommit is false)', {
          ...coordinates(message),
          attempt: attemptNo,
          error,
        });
      }
      try {
        await sleep(backoffDelay(retry, Math.min(attemptNo, 30)), laneSignal);
      } catch {
        report(message, 'abandoned', attemptNo, started);
        throw new ShutdownError(
          `stopped while ${message.topic}[${message.partition}]@${message.offset} waited to retry`,
        );
      }
    }
  }
}
