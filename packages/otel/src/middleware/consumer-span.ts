import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { InboundMessage, TaskContext, TaskMiddleware } from '@tasks/core';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_OFFSET,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_TASKS_ATTEMPT,
  ATTR_TASKS_TASK_KEY,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_SYSTEM_VALUE_KAFKA,
} from '../semconv.js';
import {
  type Propagate,
  runInSpan,
  type SpanMiddlewareOptions,
  type TracerLookup,
  tracerLookup,
  withKeyAndBody,
} from './span-helpers.js';

function consumerAttributes(ctx: TaskContext): Attributes {
  const offset = Number(ctx.offset);
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_KAFKA,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_DESTINATION_NAME]: ctx.topic,
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: ctx.group,
    [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(ctx.partition),
    // int64 offsets past 2^53 stay exact as text.
    [ATTR_MESSAGING_KAFKA_MESSAGE_OFFSET]: Number.isSafeInteger(offset) ? offset : ctx.offset,
    [ATTR_TASKS_TASK_KEY]: ctx.taskKey,
    [ATTR_TASKS_ATTEMPT]: ctx.attempt,
  };
  return withKeyAndBody(attributes, ctx.rawKey, ctx.rawValue);
}

/**
 * The CONSUMER span middleware over a tracer lookup and a propagator. One
 * span `process <topic>` per run, child of the trace context the message
 * carried; a retry links to the first attempt's span.
 *
 * `sampleRoots: false` says the sampler never samples a trace that starts
 * here (go-zero's `sampler: 0` under a parent-based sampler): a run whose
 * message carries no trace context then calls straight through, with no span,
 * no context switch and no attributes. Messages with a parent still follow it.
 */
export function consumerSpanMiddleware(
  lookup: TracerLookup,
  propagator: Propagate,
  sampleRoots = true,
): TaskMiddleware {
  // Keyed by the transport's message, which is the same object on every attempt.
  const firstAttempts = new WeakMap<InboundMessage, SpanContext>();

  const start = (ctx: TaskContext): { span: Span; active: Context } | undefined => {
    try {
      const tracer = lookup();
      if (!tracer) return undefined;
      const parent =
        ctx.trace.source === 'none' && ctx.trace.fields.baggage === undefined
          ? ROOT_CONTEXT
          : propagator.extract(ROOT_CONTEXT, ctx.trace.fields, defaultTextMapGetter);
      const first = ctx.attempt > 1 ? firstAttempts.get(ctx.message) : undefined;
      const links: Link[] = first
        ? [{ context: first, attributes: { [ATTR_TASKS_ATTEMPT]: 1 } }]
        : [];
      const span = tracer.startSpan(
        `process ${ctx.topic}`,
        { kind: SpanKind.CONSUMER, attributes: consumerAttributes(ctx), links },
        parent,
      );
      // A retry links to a first attempt only if that one was recorded.
      if (span.isRecording() && (ctx.attempt === 1 || !firstAttempts.has(ctx.message))) {
        firstAttempts.set(ctx.message, span.spanContext());
      }
      return { span, active: trace.setSpan(parent, span) };
    } catch {
      return undefined;
    }
  };

  const unsampled = (ctx: TaskContext): boolean =>
    !sampleRoots && ctx.trace.source === 'none' && ctx.trace.fields.baggage === undefined;
  // Not async: core's compose turns a synchronous throw into a rejection, and
  // `start` never throws, so the unsampled path adds no promise of its own.
  const middleware: TaskMiddleware = (ctx, next) => {
    if (unsampled(ctx)) return next();
    const started = start(ctx);
    if (!started) return next();
    return runInSpan(started.span, started.active, next);
  };
  // Told to core, which then leaves this middleware out of such runs altogether.
  return Object.assign(middleware, { passesThrough: unsampled });
}

/**
 * Task middleware that runs every attempt inside a CONSUMER span named
 * `process <topic>`, with the messaging attributes (`messaging.system=kafka`,
 * destination, consumer group, partition, offset, key) plus `tasks.task.key`
 * and `tasks.attempt`.
 *
 * The parent is the trace context the message carried (`ctx.trace`: W3C
 * headers, the Go `kqkafka` envelope's carrier, or an older Go pusher's key).
 * The span is active while the task runs, so spans the task starts nest under
 * it. A failed attempt records the exception and ends with status ERROR; a
 * retry links to the first attempt's span.
 *
 * Without a `tracerProvider` it uses the global one, and calls straight
 * through (no spans) while no SDK is registered. Telemetry never throws.
 */
export function createConsumerSpanMiddleware(options: SpanMiddlewareOptions = {}): TaskMiddleware {
  return consumerSpanMiddleware(
    tracerLookup(options.tracerProvider),
    options.propagator ?? propagation,
  );
}
