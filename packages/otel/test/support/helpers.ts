import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  type InboundMessage,
  type MessageHandler,
  type ResolvedKqConf,
  silentLogger,
  type TaskContext,
  type Transport,
  type TransportListener,
} from '@tasks/core';
import { type SetupTracingOptions, setupTracing, type Tracing } from '@tasks/otel';
import { afterEach } from 'vitest';
// Core's own decoding (internal to core), so the trace context is the one core would build.
import { decodeMessage } from '../../../core/src/server/decode.js';

/** A message as a transport would hand it over. */
export function inbound(overrides: Partial<InboundMessage> = {}): InboundMessage {
  return {
    topic: 'orders',
    partition: 3,
    offset: '42',
    timestamp: Date.now(),
    key: Buffer.from('order-1'),
    value: Buffer.from('{"id":1}'),
    headers: {},
    ...overrides,
  };
}

/** The TaskContext core would build for `message` (trace context decoded by core itself). */
export function taskContext(
  message: InboundMessage = inbound(),
  overrides: Partial<TaskContext> = {},
): TaskContext {
  const decoded = decodeMessage(message, true);
  return {
    signal: new AbortController().signal,
    taskKey: 'order',
    group: 'order-workers',
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp,
    headers: message.headers,
    attempt: 1,
    rawKey: message.key,
    rawValue: message.value,
    message,
    trace: decoded.trace,
    logger: silentLogger,
    ...overrides,
  };
}

export const remoteTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
export const remoteSpanId = '00f067aa0ba902b7';
export const sampledTraceparent = `00-${remoteTraceId}-${remoteSpanId}-01`;

/** Tracing into an in-memory exporter; shut down after each test. */
export async function memoryTracing(
  config: { sampler?: number; disabled?: boolean } = {},
  options: SetupTracingOptions = {},
): Promise<{
  tracing: Tracing;
  exporter: InMemorySpanExporter;
  spans: () => Promise<ReadableSpan[]>;
}> {
  const exporter = new InMemorySpanExporter();
  const tracing = await setupTracing(
    { name: 'otel-test', batcher: 'console', ...config },
    { exporter, logger: silentLogger, ...options },
  );
  cleanups.push(() => tracing.shutdown());
  return {
    tracing,
    exporter,
    spans: async () => {
      await tracing.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Keeps what it exported, also after shutdown (InMemorySpanExporter forgets on shutdown). */
export class RecordingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A transport the test drives by hand: `deliver` runs the handler of the message's topic. */
export class HandTransport implements Transport {
  readonly name = 'hand';
  readonly #handlers = new Map<string, MessageHandler>();

  subscribe(conf: ResolvedKqConf, handler: MessageHandler): void {
    this.#handlers.set(conf.topic, handler);
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  commit(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  onEvent(_listener: TransportListener): () => void {
    return () => {};
  }
  /** Resolves when the message is finished, retries included. */
  deliver(message: InboundMessage): Promise<void> {
    const handler = this.#handlers.get(message.topic);
    if (!handler) throw new Error(`no subscription for ${message.topic}`);
    return handler(message);
  }
}
