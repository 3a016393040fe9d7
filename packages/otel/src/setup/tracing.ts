import type { TracerProvider } from '@opentelemetry/api';
import type { PushMiddleware, TaskMiddleware, TaskServerPlugin } from '@tasks/core';
import type { ResolvedTraceConfig } from '../config/trace-config.js';

/**
 * What `setupTracing` returns: a `TaskServerPlugin` (hand it to the server's
 * `plugins`, and its `pushMiddleware` to your pushers) that owns the tracer
 * provider and flushes it when the server stops.
 */
export interface Tracing extends TaskServerPlugin {
  readonly name: string;
  /** False when the config said `disabled`: the middleware then just calls through. */
  readonly enabled: boolean;
  readonly config: ResolvedTraceConfig;
  /** CONSUMER span `process <topic>` around every run. */
  readonly middleware: TaskMiddleware;
  /** PRODUCER span `send <topic>`, its context injected into the headers. */
  readonly pushMiddleware: PushMiddleware;
  /** The SDK's provider (for spans of your own); undefined when disabled. */
  readonly tracerProvider: TracerProvider | undefined;
  /** Exports every buffered span now. Never rejects. */
  forceFlush(): Promise<void>;
  /**
   * Flushes what is buffered, shuts the exporter down and removes the globals
   * this setup registered. Safe to call more than once; never rejects.
   */
  shutdown(): Promise<void>;
  /** The server's hook at stop: the same as `shutdown()`. */
  stop(): Promise<void>;
}
