export {
  applyKafkaEnv,
  type CompressionName,
  defaultMaxUncommitted,
  type KqConf,
  kqConfDefaults,
  kqConfSchema,
  type ResolvedKqConf,
  resolveKqConf,
  resolveKqConfs,
  type StartOffset,
} from './conf/kq-conf.js';
export {
  type TraceBatcher,
  type TraceConfig,
  traceBatcherNames,
  traceConfigSchema,
} from './conf/trace-config.js';
export {
  checkReplayOptions,
  type DeadLetter,
  type DeadLetterBackoff,
  DeadLetterHeaders,
  type DeadLetterInfo,
  type DeadLetterSink,
  type DeadLetterTarget,
  deadLetterBackoffDefaults,
  deadLetterHeaderPrefix,
  type HeldDeadLetter,
  isDeadLetterHeader,
  matchesReplayFilter,
  planReplay,
  type ReplayEntry,
  type ReplayFilter,
  type ReplayOptions,
  type ReplayResult,
  readDeadLetter,
  replayCountHeader,
  replayMessage,
} from './dead-letter/index.js';
export {
  ConfigError,
  type ConfigProblem,
  type ErrorCode,
  ErrorCodes,
  isTasksError,
  type MessageCoordinates,
  MessageError,
  NonRetriableError,
  OffsetOrderError,
  PartitionRevokedError,
  RouteError,
  RunTimeoutError,
  ShutdownError,
  StateError,
  TaskRunError,
  TasksError,
  type TasksErrorOptions,
  TransportError,
  toError,
} from './errors/index.js';
export { newTaskFactory, TaskFactory, type TaskRegistration } from './factory/task-factory.js';
export {
  defaultIdempotencyKey,
  type IdempotencyOptions,
  type IdempotencyStore,
  idempotency,
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
  SqliteIdempotencyStore,
  type SqliteIdempotencyStoreOptions,
} from './idempotency/index.js';
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  redact,
  silentLogger,
} from './logger/logger.js';
export {
  confRouteKey,
  planRoutes,
  planRouting,
  pushRoutes,
  type RoutePlanEntry,
  type RoutePlanInput,
  type RoutingPlan,
  type UnconsumedRoute,
} from './routing/validate-routes.js';
export { unwrapGoEnvelope } from './server/decode.js';
export { compose, type TaskMiddleware } from './server/middleware.js';
export {
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetry,
  retryDefaults,
} from './server/retry.js';
export type { RunEvent, RunListener, RunOutcome } from './server/run-event.js';
export {
  type DeadLetterOptions,
  type HandleSignalsOptions,
  newTaskServer,
  TaskServer,
  type TaskServerOptions,
  type TaskServerPlugin,
  type TaskServerStats,
  type TaskServerStatus,
} from './server/task-server.js';
export {
  newTaskServerCtx,
  type ServerCtxOption,
  type TypedServerCtxOption,
  withFuncRegister,
  withKafkaConf,
  withObject,
  withTaskRoute,
  withTelemetry,
} from './server-ctx/server-ctx.js';
export type {
  FuncCreateTask,
  FuncRegister,
  ITask,
  ITaskFactory,
  ITaskServerCtx,
  TaskContext,
  TaskOptions,
  TraceCarrier,
  TraceCarrierSource,
} from './task/types.js';
// Transport-author machinery (Dispatcher, CommitTracker, PartitionState, composePush) is in `@tasks/core/transport`.
export type { Ordering } from './transport/ordering.js';
export type { OutboundMessage, PushMiddleware } from './transport/push.js';
export type {
  ConsumerStatus,
  HeldPartition,
  InboundMessage,
  MessageHandler,
  MessageHeaders,
  Transport,
  TransportEvent,
  TransportListener,
} from './transport/types.js';
