import { ErrorCodes } from './codes.js';
import { TasksError, type TasksErrorOptions } from './tasks-error.js';

/** One thing wrong with a configuration: where, and what to do about it. */
export interface ConfigProblem {
  /** A dotted path into the configuration, e.g. `kafkaConf[0].offset`. */
  readonly path: string;
  readonly message: string;
}

function listProblems(title: string, problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
  return [title, ...lines].join('\n');
}

/** A configuration value is wrong. Lists every problem found, not only the first. */
export class ConfigError extends TasksError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], title = 'invalid configuration') {
    super(ErrorCodes.ConfigInvalid, listProblems(title, problems));
    this.problems = problems;
  }
}

/** Routes, registrations and consumer confs do not fit together. */
export class RouteError extends TasksError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(ErrorCodes.RouteInvalid, listProblems('task routing is inconsistent', problems));
    this.problems = problems;
  }
}

/**
 * Throw this from a task to skip any remaining retries: the message goes
 * straight to the error handler and is committed past.
 */
export class NonRetriableError extends TasksError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCodes.NonRetriable, message, { ...options, retriable: false });
  }
}

/** Where a message sits in Kafka, and which task was running it. */
export interface MessageCoordinates {
  readonly taskKey: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A task's run failed for good. `cause` holds what the task threw. */
export class TaskRunError extends TasksError {
  readonly coordinates: MessageCoordinates;
  readonly attempts: number;

  constructor(coordinates: MessageCoordinates, attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      ErrorCodes.TaskFailed,
      `task "${coordinates.taskKey}" failed on ${coordinates.topic}[${coordinates.partition}]@${coordinates.offset} after ${attempts} attempt(s): ${reason}`,
      { cause },
    );
    this.coordinates = coordinates;
    this.attempts = attempts;
  }
}

/** A run was abandoned because the server is stopping; its message stays uncommitted. */
export class ShutdownError extends TasksError {
  constructor(message = 'the task server is shutting down') {
    super(ErrorCodes.Shutdown, message, { retriable: true });
  }
}

/** A message could not be handled as it is (bad bytes, no task for its topic). */
export class MessageError extends TasksError {
  constructor(message: string, options: TasksErrorOptions = {}) {
    super(ErrorCodes.MessageInvalid, message, options);
  }
}

/** A component was used in a state that does not allow it. */
export class StateError extends TasksError {
  constructor(message: string) {
    super(ErrorCodes.InvalidState, message);
  }
}

/**
 * A transport handed a partition's offsets to the dispatcher out of order:
 * `offset` was begun after `last`. Each partition's offsets must be begun in
 * ascending order (a re-fetched one that `isNew` says was handed out is skipped).
 */
export class OffsetOrderError extends TasksError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly last: number;

  constructor(topic: string, partition: number, offset: number, last: number) {
    super(
      ErrorCodes.OffsetOutOfOrder,
      `offset ${offset} began after ${last} on ${topic}[${partition}]: begin each partition's offsets in ascending order`,
    );
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.last = last;
  }
}

/** A failure inside a transport; adapters pick the code that fits. */
export class TransportError extends TasksError {
  constructor(
    code:
      | typeof ErrorCodes.ConnectionFailed
      | typeof ErrorCodes.AuthenticationFailed
      | typeof ErrorCodes.TopicNotFound
      | typeof ErrorCodes.PushFailed
      | typeof ErrorCodes.StartTimeout
      | typeof ErrorCodes.TransportFailed,
    message: string,
    options: TasksErrorOptions = {},
  ) {
    super(code, message, options);
  }
}
