import type { ErrorCode } from './codes.js';

const brand = Symbol.for('@tasks/core.TasksError');

export interface TasksErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

/**
 * The base of every error this project raises. `code` is stable, `retriable`
 * says whether trying again may help, and `cause` keeps the underlying error.
 */
export class TasksError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: TasksErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    Object.defineProperty(this, brand, { value: true });
  }
}

/**
 * True for any `TasksError`, also one created by another copy of this package
 * (two installs in one process would make `instanceof` fail).
 */
export function isTasksError(value: unknown): value is TasksError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}
