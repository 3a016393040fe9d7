import type { TraceCarrier } from '../task/types.js';
import type { InboundMessage } from '../transport/types.js';

const propagationFields = ['traceparent', 'tracestate', 'baggage'] as const;

export interface DecodedMessage {
  readonly key: string;
  readonly value: string;
  readonly trace: TraceCarrier;
}

/**
 * A trace carrier as Go writes it, with lowercase keys: `propagation.HeaderCarrier`
 * is an `http.Header`, so keys come canonical (`Traceparent`) and values as
 * arrays (`["00-..."]`). A string value is taken as is, an array gives its
 * first string; anything else is skipped.
 */
function carrierFields(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    const first = Array.isArray(v) ? v.find((item) => typeof item === 'string') : v;
    if (typeof first === 'string') out[k.toLowerCase()] = first;
  }
  return out;
}

/** The value of `name` in `object`, matched case-insensitively as Go's `encoding/json` does. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  for (const [k, v] of Object.entries(object)) if (k.toLowerCase() === name) return v;
  return undefined;
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
 * The envelope gopkg's `kqkafka.Producer.Publish` writes (`xtrace.MqMsg`):
 * `{"carrier":{"Traceparent":["00-..."]},"body":"..."}`. Keys match
 * case-insensitively (as Go's `encoding/json` reads them); the carrier's keys
 * come back lowercase. Recognised only when `body` is a non-empty string and
 * `carrier` an object, as gopkg's consumer falls back to the raw value otherwise.
 */
export function unwrapGoEnvelope(
  value: string,
): { body: string; carrier: Record<string, string> } | undefined {
  // The first byte rules most messages out before the whole value is scanned
  // (Go's encoding/json writes no leading space); keys may come in any case.
  if (value.charCodeAt(0) !== 123 /* { */ || !/"carrier"/i.test(value)) return undefined;
  const parsed = parseJsonObject(value);
  if (!parsed) return undefined;
  const body = field(parsed, 'body');
  if (typeof body !== 'string' || body.length === 0) return undefined;
  const carrier = carrierFields(field(parsed, 'carrier'));
  return carrier ? { body, carrier } : undefined;
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
    // Only a JSON object can carry one: the first character rules out most keys before any scan.
    const key = payload.key;
    const keyCarrier =
      key.charCodeAt(0) === 123 /* { */ && /traceparent/i.test(key)
        ? carrierFields(parseJsonObject(key))
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
