import type { ResolvedKqConf } from '../conf/kq-conf.js';
import {
  ErrorCodes,
  isTasksError,
  type MessageCoordinates,
  ShutdownError,
  TaskRunError,
  toError,
} from '../errors/index.js';
import type { Logger } from '../logger/logger.js';
import type { ITask } from '../task/types.js';
import type { InboundMessage, MessageHandler } from '../transport/types.js';
import { AbortRace } from './abort-race.js';
import { decodePayload } from './decode.js';
import { compose, type TaskMiddleware } from './middleware.js';
import { backoffDelay, type ResolvedRetryOptions, sleep } from './retry.js';
import { MessageState, payloadOf, type RunContext } from './run-context.js';
import type { RunEvent, RunOutcome } from './run-event.js';

export interface MessageRunnerDeps {
  readonly taskKey: string;
  readonly conf: ResolvedKqConf;
  readonly task: ITask;
  readonly middleware: readonly TaskMiddleware[];
  readonly retry: ResolvedRetryOptions;
  /** Fires when the server stops taking new work and in-flight runs must end. */
  readonly signal: AbortSignal;
  /** True once the server is draining: new messages are refused. */
  readonly isDraining: () => boolean;
  /** Counts an outcome; calls `event()` only if someone listens for run events. */
  readonly report: (outcome: RunOutcome, event: () => RunEvent) => void;
  /** Counts runs in flight: +1 when a message starts, -1 when it settles. */
  readonly track: (delta: 1 | -1) => void;
  readonly onError: (error: TaskRunError) => void | Promise<void>;
  readonly logger: Logger;
}

function isNonRetriable(error: Error): boolean {
  return isTasksError(error) && error.code === ErrorCodes.NonRetriable;
}

/**
 * Builds the handler a transport calls for each message of one conf: decode,
 * middleware, `task.run`, retries with backoff, and error isolation. No
 * failure of the task escapes it; it rejects only when the server stops
 * before the message is finished.
 */
export function createMessageHandler(deps: MessageRunnerDeps): MessageHandler {
  const { conf, task, retry, signal, taskKey } = deps;
  const run = compose(deps.middleware, (ctx) => {
    const { key, value } = (ctx as RunContext)[payloadOf];
    return Promise.resolve(task.run(ctx, key, value));
  });
  const aborts = new AbortRace(signal);

  return async (message) => {
    if (deps.isDraining() || signal.aborted) throw new ShutdownError();
    deps.track(1);
    try {
      await runWithRetries(message);
    } finally {
      deps.track(-1);
    }
  };

  async function runWithRetries(message: InboundMessage): Promise<void> {
    const state = new MessageState(
      message,
      decodePayload(message, conf.unwrapEnvelope),
      conf.unwrapEnvelope,
    );
    const started = performance.now();
    const coordinates = (): MessageCoordinates => ({
      taskKey,
      group: conf.group,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
    });
    // The event object is built only when someone listens.
    const report = (
      outcome: RunOutcome,
      attempt: number,
      extra: Pick<RunEvent, 'error' | 'failure'> = {},
    ) =>
      deps.report(outcome, () => ({
        outcome,
        ...coordinates(),
        attempt,
        durationMs: performance.now() - started,
        message,
        ...extra,
      }));

    for (let attempt = 1; ; attempt++) {
      const ctx = state.context(taskKey, conf.group, attempt, signal, deps.logger);
      try {
        await aborts.race(() => run(ctx));
        report('succeeded', attempt);
        return;
      } catch (thrown) {
        if (signal.aborted) {
          report('abandoned', attempt);
          throw new ShutdownError(
            `stopped before ${message.topic}[${message.partition}]@${message.offset} finished`,
          );
        }
        const error = toError(thrown, 'task threw');
        const final = isNonRetriable(error) || (attempt >= retry.maxAttempts && conf.forceCommit);
        if (final) {
          const failure = new TaskRunError(coordinates(), attempt, error);
          try {
            // Bounded by shutdown like the run: a hung error handler must not hold stop().
            await aborts.race(() => deps.onError(failure));
          } catch (handlerError) {
            if (signal.aborted) {
              report('abandoned', attempt);
              throw new ShutdownError(
                `stopped while the error handler of ${message.topic}[${message.partition}]@${message.offset} ran`,
              );
            }
            deps.logger.error('the error handler threw', {
              ...coordinates(),
              error: toError(handlerError, 'error handler threw'),
            });
          }
          // Reported once the error handler is done: a stop that cut it short reports 'abandoned' instead.
          report('failed', attempt, { error, failure });
          return;
        }
        report('retrying', attempt, { error });
        if (attempt >= retry.maxAttempts) {
          deps.logger.warn('holding the partition at a failing message (forceCommit is false)', {
            ...coordinates(),
            attempt,
            error,
          });
        }
        try {
          await sleep(backoffDelay(retry, Math.min(attempt, 30)), signal);
        } catch {
          report('abandoned', attempt);
          throw new ShutdownError(
            `stopped while ${message.topic}[${message.partition}]@${message.offset} waited to retry`,
          );
        }
      }
    }
  }
}
