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
  if (!value.includes('"carrier"')) return undefined;
  const parsed = parseJsonObject(value);
  if (!parsed || typeof parsed.body !== 'string' || parsed.body.length === 0) return undefined;
  const carrier = stringFields(parsed.carrier);
  return carrier ? { body: parsed.body, carrier } : undefined;
}

function headerCarrier(message: InboundMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of propagationFields) {
    const raw = message.headers[field];
    if (raw !== undefined) out[field] = raw.toString('utf8');
  }
  return out;
}

/**
 * Turns the raw message into the strings a task receives and finds its trace
 * context. Precedence: the Go envelope (it holds the producer span), then the
 * key (older Go pushers put the carrier there), then W3C headers.
 */
export function decodeMessage(message: InboundMessage, unwrapEnvelope: boolean): DecodedMessage {
  const key = message.key === null ? '' : message.key.toString('utf8');
  let value = message.value === null ? '' : message.value.toString('utf8');

  if (unwrapEnvelope) {
    const envelope = unwrapGoEnvelope(value);
    if (envelope) {
      value = envelope.body;
      if (envelope.carrier.traceparent) {
        return { key, value, trace: { source: 'envelope', fields: envelope.carrier } };
      }
    }
    const keyCarrier = key.includes('traceparent') ? stringFields(parseJsonObject(key)) : undefined;
    if (keyCarrier?.traceparent) {
      return { key, value, trace: { source: 'key', fields: keyCarrier } };
    }
  }
  const fields = headerCarrier(message);
  return { key, value, trace: { source: fields.traceparent ? 'headers' : 'none', fields } };
}
