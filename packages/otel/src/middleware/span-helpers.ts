import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isTasksError } from '@tasks/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
} from '../semconv.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from '../version.js';

/** Options shared by the consumer and producer span middleware. */
export interface SpanMiddlewareOptions {
  /**
   * The provider spans are started with. Default: the global one, and only
   * while an SDK is registered there; with none, the middleware just calls
   * through and starts nothing.
   */
  readonly tracerProvider?: TracerProvider;
  /** Reads and writes trace context on messages. Default: the global propagator. */
  readonly propagator?: TextMapPropagator;
}

/** Returns the tracer to use now, or undefined to call straight through. */
export type TracerLookup = () => Tracer | undefined;

/** What the middleware needs of a propagator; the global `propagation` API fits too. */
export interface Propagate {
  extract<C>(context: Context, carrier: C, getter: TextMapGetter<C>): Context;
  inject<C>(context: Context, carrier: C, setter: TextMapSetter<C>): void;
}

type MaybeProxy = TracerProvider & {
  getDelegateTracer?: (name: string, version?: string) => Tracer | undefined;
};

/**
 * A tracer from `provider`; without one, from the global provider, but only
 * while an SDK is registered there (the API's proxy has no delegate before),
 * so an app without an SDK pays one property read per message.
 */
export function tracerLookup(provider?: TracerProvider): TracerLookup {
  if (provider) {
    const tracer = provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    return () => tracer;
  }
  return () => {
    const global = trace.getTracerProvider() as MaybeProxy;
    return typeof global.getDelegateTracer === 'function'
      ? global.getDelegateTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION)
      : global.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  };
}

/** Kafka keys and header values are bytes; attributes want text. */
export function bytesToText(value: string | Buffer | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

export function byteLength(value: string | Buffer | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function errorType(error: Error): string {
  if (isTasksError(error)) return error.code;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name.length > 0 ? ctor.name : error.name;
}

/** Marks the span failed with what was thrown. Never throws. */
export function recordFailure(span: Span, thrown: unknown): void {
  try {
    if (thrown instanceof Error) {
      span.recordException(thrown);
      span.setAttribute(ATTR_ERROR_TYPE, errorType(thrown));
      span.setStatus({ code: SpanStatusCode.ERROR, message: thrown.message });
    } else {
      const message = String(thrown);
      span.recordException(message);
      span.setAttribute(ATTR_ERROR_TYPE, '_OTHER');
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
  } catch {
    // Telemetry never breaks the run it observes.
  }
}

/** Ends the span. Never throws. */
export function endSpan(span: Span): void {
  try {
    span.end();
  } catch {
    // Telemetry never breaks the run it observes.
  }
}

/**
 * Runs `work` with `active` as the current context, so spans it starts nest
 * under `span`; a failure is recorded on the span and rethrown, and the span
 * always ends.
 */
export async function runInSpan(
  span: Span,
  active: Context,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await context.with(active, work);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    endSpan(span);
  }
}

/**
 * Adds the key (decoded as UTF-8) and the body size, or the
 * tombstone flag for a null value: what both span kinds record of a message.
 */
export function withKeyAndBody(
  attributes: Attributes,
  key: string | Buffer | null | undefined,
  value: string | Buffer | null | undefined,
): Attributes {
  const text = bytesToText(key);
  if (text !== undefined) attributes[ATTR_MESSAGING_KAFKA_MESSAGE_KEY] = text;
  const size = byteLength(value);
  if (size === undefined) attributes[ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE] = true;
  else attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
  return attributes;
}
