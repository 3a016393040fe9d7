import {
  type Attributes,
  type Context,
  context,
  defaultTextMapSetter,
  propagation,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { OutboundMessage, PushMiddleware } from '@tasks/core';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
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

function producerAttributes(message: OutboundMessage): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_KAFKA,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_DESTINATION_NAME]: message.topic,
  };
  if (message.partition !== undefined) {
    attributes[ATTR_MESSAGING_DESTINATION_PARTITION_ID] = String(message.partition);
  }
  return withKeyAndBody(attributes, message.key, message.value);
}

/**
 * The PRODUCER span middleware over a tracer lookup and a propagator: a span
 * `send <topic>` around the send, its context written into the headers.
 */
export function producerSpanMiddleware(
  lookup: TracerLookup,
  propagator: Propagate,
): PushMiddleware {
  const start = (
    message: OutboundMessage,
  ): { span: Span; active: Context; message: OutboundMessage } | undefined => {
    try {
      const tracer = lookup();
      if (!tracer) return undefined;
      const parent = context.active();
      const span = tracer.startSpan(
        `send ${message.topic}`,
        { kind: SpanKind.PRODUCER, attributes: producerAttributes(message) },
        parent,
      );
      const active = trace.setSpan(parent, span);
      const carrier: Record<string, string> = {};
      try {
        propagator.inject(active, carrier, defaultTextMapSetter);
      } catch {
        // Send without trace headers rather than not at all.
      }
      return { span, active, message: { ...message, headers: { ...message.headers, ...carrier } } };
    } catch {
      return undefined;
    }
  };

  return async (message, next) => {
    const started = start(message);
    if (!started) return next(message);
    return runInSpan(started.span, started.active, () => next(started.message));
  };
}

/**
 * Push middleware that wraps each send in a PRODUCER span `send <topic>`
 * (child of the active span, if any) and writes its context into the message
 * headers (`traceparent`, `tracestate`, `baggage`), which is where go-queue's
 * kq pusher and `@opentelemetry/instrumentation-kafkajs` put it. A failed send
 * ends the span with status ERROR.
 *
 * Without a `tracerProvider` it uses the global one, and calls straight
 * through (headers untouched) while no SDK is registered.
 */
export function createProducerSpanMiddleware(options: SpanMiddlewareOptions = {}): PushMiddleware {
  return producerSpanMiddleware(
    tracerLookup(options.tracerProvider),
    options.propagator ?? propagation,
  );
}
