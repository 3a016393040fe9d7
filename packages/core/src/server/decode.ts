import type { TraceCarrier } from '../task/types.js';
import type { InboundMessage } from '../transport/types.js';

const propagationFields = ['traceparent', 'tracestate', 'baggage'] as const;

export interface DecodedMessage {
  readonly key: string;
  readonly value: string;
  readonly trace: TraceCarrier;
}

function stringFields(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.length < 2 || text.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The envelope Go `kqkafka` producers write: `{"carrier":{...},"body":"..."}`.
 * Recognised only when `body` is a non-empty string and `carrier` an object.
 */
export function unwrapGoEnvelope(
  value: string,
): { body: string; carrier: Record<string, string> } | undefined {
  // The first byte rules most messages out before the whole value is scanned.
  if (value.charCodeAt(0) !== 123 /* { */ || !value.includes('"carrier"')) return undefined;
  const parsed = parseJsonObject(value);
  if (!parsed || typeof parsed.body !== 'string' || parsed.body.length === 0) return undefined;
  const carrier = stringFields(parsed.carrier);
  return carrier ? { body: parsed.body, carrier } : undefined;
}

const noTrace: TraceCarrier = Object.freeze({ source: 'none', fields: Object.freeze({}) });

function headerCarrier(message: InboundMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of propagationFields) {
    const raw = message.headers[field];
    if (raw !== undefined) out[field] = raw.toString('utf8');
  }
  return out;
}

/** The strings a task receives, and the envelope's carrier when there was one. */
export interface DecodedPayload {
  readonly key: string;
  readonly value: string;
  readonly envelopeCarrier: Readonly<Record<string, string>> | undefined;
}

/** Decodes key and value to UTF-8 strings, unwrapping a Go envelope when asked. */
export function decodePayload(message: InboundMessage, unwrapEnvelope: boolean): DecodedPayload {
  // toString() without arguments is UTF-8 and skips Buffer's argument handling (measurable per message).
  const key = message.key === null ? '' : message.key.toString();
  const value = message.value === null ? '' : message.value.toString();
  if (unwrapEnvelope) {
    const envelope = unwrapGoEnvelope(value);
    if (envelope) return { key, value: envelope.body, envelopeCarrier: envelope.carrier };
  }
  return { key, value, envelopeCarrier: undefined };
}

/**
 * Finds the message's trace context. Precedence: the Go envelope (it holds
 * the producer span), then the key (older Go pushers put the carrier there),
 * then W3C headers. Key and envelope count only with `unwrapEnvelope`.
 */
export function traceCarrierOf(
  message: InboundMessage,
  payload: DecodedPayload,
  unwrapEnvelope: boolean,
): TraceCarrier {
  if (unwrapEnvelope) {
    if (payload.envelopeCarrier?.traceparent) {
      return { source: 'envelope', fields: payload.envelopeCarrier };
    }
    const keyCarrier = payload.key.includes('traceparent')
      ? stringFields(parseJsonObject(payload.key))
      : undefined;
    if (keyCarrier?.traceparent) return { source: 'key', fields: keyCarrier };
  }
  // Most messages carry no trace context: answer those without allocating.
  const { headers } = message;
  if (
    headers.traceparent === undefined &&
    headers.tracestate === undefined &&
    headers.baggage === undefined
  ) {
    return noTrace;
  }
  const fields = headerCarrier(message);
  return { source: fields.traceparent ? 'headers' : 'none', fields };
}

/** Both at once: the strings a task receives and the message's trace context. */
export function decodeMessage(message: InboundMessage, unwrapEnvelope: boolean): DecodedMessage {
  const payload = decodePayload(message, unwrapEnvelope);
  return {
    key: payload.key,
    value: payload.value,
    trace: traceCarrierOf(message, payload, unwrapEnvelope),
  };
}
