export { PartitionRevokedError, RunTimeoutError } from './cancellation.js';
export { type ErrorCode, ErrorCodes } from './codes.js';
export {
  ConfigError,
  type ConfigProblem,
  type MessageCoordinates,
  MessageError,
  NonRetriableError,
  OffsetOrderError,
  RouteError,
  ShutdownError,
  StateError,
  TaskRunError,
  TransportError,
} from './kinds.js';
export { isTasksError, TasksError, type TasksErrorOptions } from './tasks-error.js';
export { toError } from './to-error.js';
