import type { KqConf } from '../conf/kq-conf.js';
import type { TraceConfig } from '../conf/trace-config.js';
import type { Logger } from '../logger/logger.js';
import type { InboundMessage, MessageHeaders } from '../transport/types.js';

/** Where the trace context of a message came from. */
export type TraceCarrierSource = 'envelope' | 'key' | 'headers' | 'none';

/** The propagation fields (`traceparent`, `tracestate`, `baggage`) found on a message. */
export interface TraceCarrier {
  readonly source: TraceCarrierSource;
  readonly fields: Readonly<Record<string, string>>;
}

/** What a task's `run` receives besides the key and value strings. */
export interface TaskContext {
  /**
   * Fires when the server shuts down, when the message's partition is revoked
   * and when the attempt outlives its timeout; `signal.reason` is a
   * `ShutdownError`, `PartitionRevokedError` or `RunTimeoutError`. Long runs
   * should stop early on it.
   */
  readonly signal: AbortSignal;
  readonly taskKey: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly headers: MessageHeaders;
  /** 1 on the first run of this message, 2 on its first retry, ... */
  readonly attempt: number;
  /** The key and value exactly as they came off the topic. */
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  /** The transport's message; the same object on every attempt. */
  readonly message: InboundMessage;
  readonly trace: TraceCarrier;
  readonly logger: Logger;
}

/** The seed's `ITask`: one instance per topic, run once per message. */
export interface ITask {
  run(ctx: TaskContext, key: string, value: string): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** Builds the task that consumes `topic`. */
export type FuncCreateTask<T = unknown> = (topic: string, serverCtx: ITaskServerCtx<T>) => ITask;

/** Registers tasks with a factory; the server calls it once at start. */
export type FuncRegister<T = unknown> = (factory: ITaskFactory<T>) => void;

/** How the server runs the task of one registration (`factory.gen(key, create, options)`). */
export interface TaskOptions {
  /**
   * Longest one attempt may take, in ms (0: no limit); wins over the conf's
   * `taskTimeoutMs`. Past it `ctx.signal` fires with a `RunTimeoutError` and
   * the attempt counts as failed.
   */
  readonly timeoutMs?: number;
}

export interface ITaskFactory<T = unknown> {
  gen(key: string, create: FuncCreateTask<T>, options?: TaskOptions): void;
}

/** The seed's server context: routes, confs, telemetry, registration and your services. */
export interface ITaskServerCtx<T = unknown> {
  /** Task key to topic. */
  taskRoute(): Readonly<Record<string, string>>;
  kafkaConf(): readonly KqConf[];
  telemetry(): TraceConfig | undefined;
  funcRegister(): FuncRegister<T>;
  /** The object you gave `withObject`: your services, typed. */
  object(): T;
}
