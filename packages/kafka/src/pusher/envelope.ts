import type { OutboundMessage } from '@tasks/core';

/** The propagation headers copied into the envelope, under Go's canonical names. */
const carried = [
  ['traceparent', 'Traceparent'],
  ['tracestate', 'Tracestate'],
  ['baggage', 'Baggage'],
] as const;

/**
 * Wraps the message's value the way gopkg's `kqkafka.Producer.Publish` does
 * (`xtrace.MqMsg`): `{"carrier":{"Traceparent":["00-..."]},"body":"..."}`,
 * the carrier being an `http.Header` (canonical keys, array values) holding
 * the trace context that tracing middleware put in the W3C headers, which
 * stay as they are. A Go `kqkafka` consumer then continues the trace from
 * the carrier and hands its task `body`. A null value is left alone (Go's
 * consumer would hand over the raw value anyway).
 */
export function toEnvelope(message: OutboundMessage): OutboundMessage {
  if (message.value === null) return message;
  const carrier: Record<string, string[]> = {};
  for (const [name, canonical] of carried) {
    const value = message.headers[name];
    if (value !== undefined) carrier[canonical] = [value.toString()];
  }
  const body = typeof message.value === 'string' ? message.value : message.value.toString('utf8');
  return { ...message, value: JSON.stringify({ carrier, body }) };
}
