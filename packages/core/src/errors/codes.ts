/**
 * Every error this project raises carries one of these codes. The set is closed:
 * callers may switch on it, and a new code is a minor version bump.
 */
export const ErrorCodes = {
  /** A configuration value is missing, malformed or out of range. */
  ConfigInvalid: 'TASKS_CONFIG_INVALID',
  /** Task routes, registrations and consumer confs do not fit together. */
  RouteInvalid: 'TASKS_ROUTE_INVALID',
  /** A task's run failed for good (after its retries). */
  TaskFailed: 'TASKS_TASK_FAILED',
  /** Thrown by a task to say: do not retry this message. */
  NonRetriable: 'TASKS_NON_RETRIABLE',
  /** Work was abandoned because the server is shutting down. */
  Shutdown: 'TASKS_SHUTDOWN',
  /** A run took longer than its task's timeout (`ctx.signal.reason`; counts as a failed attempt). */
  RunTimeout: 'TASKS_RUN_TIMEOUT',
  /** A run's partition was revoked (`ctx.signal.reason`); the next owner runs the message again. */
  PartitionRevoked: 'TASKS_PARTITION_REVOKED',
  /** A message could not be decoded or routed. */
  MessageInvalid: 'TASKS_MESSAGE_INVALID',
  /** The transport could not reach its brokers. */
  ConnectionFailed: 'TASKS_CONNECTION_FAILED',
  /** The brokers refused the credentials. */
  AuthenticationFailed: 'TASKS_AUTHENTICATION_FAILED',
  /** A topic does not exist and may not be created. */
  TopicNotFound: 'TASKS_TOPIC_NOT_FOUND',
  /** A message could not be sent. */
  PushFailed: 'TASKS_PUSH_FAILED',
  /** The transport did not connect and join within the server's `startTimeoutMs`. */
  StartTimeout: 'TASKS_START_TIMEOUT',
  /** Any other failure inside a transport. */
  TransportFailed: 'TASKS_TRANSPORT_FAILED',
  /** The operation needs a state the component is not in (e.g. push after close). */
  InvalidState: 'TASKS_INVALID_STATE',
  /** A transport began a partition's offset below one it had already begun (offsets go in order). */
  OffsetOutOfOrder: 'TASKS_OFFSET_OUT_OF_ORDER',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
