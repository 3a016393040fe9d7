import { type InboundMessage, unwrapGoEnvelope } from '@tasks/core';
import { describe, expect, it } from 'vitest';
// Internal: how the server decodes a message for a task; not part of the public API.
import { decodeMessage } from '../../src/server/decode.js';
import { inbound } from './support.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const otherParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const message = (fields: Parameters<typeof inbound>[2]): InboundMessage =>
  inbound('orders', 0, fields);
const envelope = (carrier: unknown, body: unknown) => JSON.stringify({ carrier, body });
const headers = (fields: Record<string, string>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Buffer.from(v)]));

describe('decodeMessage', () => {
  it('decodes plain UTF-8 key and value, with no trace', () => {
    const decoded = decodeMessage(message({ keyText: 'clé-1', text: '{"order":"ñ✓"}' }), true);
    expect(decoded).toEqual({
      key: 'clé-1',
      value: '{"order":"ñ✓"}',
      trace: { source: 'none', fields: {} },
    });
  });

  it('turns a null key or value into the empty string', () => {
    expect(decodeMessage(message({}), true)).toMatchObject({ key: '', value: '' });
  });

  it('unwraps the Go envelope: the task gets body, the trace comes from the carrier', () => {
    const carrier = { traceparent, tracestate: 'vendor=1', ignored: 7 };
    const decoded = decodeMessage(
      message({ keyText: 'k', text: envelope(carrier, 'payload') }),
      true,
    );
    expect(decoded).toEqual({
      key: 'k',
      value: 'payload',
      trace: { source: 'envelope', fields: { traceparent, tracestate: 'vendor=1' } },
    });
  });

  it("prefers the envelope's carrier over W3C headers", () => {
    const decoded = decodeMessage(
      message({
        text: envelope({ traceparent }, 'payload'),
        headers: headers({ traceparent: otherParent }),
      }),
      true,
    );
    expect(decoded.trace).toEqual({ source: 'envelope', fields: { traceparent } });
  });

  it('unwraps an envelope whose carrier has no traceparent, taking the trace from headers', () => {
    const decoded = decodeMessage(
      message({ text: envelope({}, 'payload'), headers: headers({ traceparent: otherParent }) }),
      true,
    );
    expect(decoded.value).toBe('payload');
    expect(decoded.trace).toEqual({ source: 'headers', fields: { traceparent: otherParent } });
  });

  it.each([
    ['the body is empty', envelope({ traceparent }, '')],
    ['the body is not a string', envelope({ traceparent }, { a: 1 })],
    ['the carrier is missing', JSON.stringify({ body: 'payload' })],
    ['the carrier is not an object', envelope('traceparent', 'payload')],
    ['the carrier is an array', envelope([traceparent], 'payload')],
    ['the carrier is null', envelope(null, 'payload')],
    ['it is not JSON', '{"carrier": {"traceparent": broken'],
    ['it is a JSON array', `[${envelope({ traceparent }, 'payload')}]`],
  ])('does not unwrap when %s', (_label, text) => {
    const decoded = decodeMessage(message({ text }), true);
    expect(decoded.value).toBe(text);
    expect(decoded.trace.source).toBe('none');
  });

  it('does not unwrap when unwrapEnvelope is false, and reads headers instead', () => {
    const text = envelope({ traceparent }, 'payload');
    const decoded = decodeMessage(
      message({ text, headers: headers({ traceparent: otherParent }) }),
      false,
    );
    expect(decoded.value).toBe(text);
    expect(decoded.trace).toEqual({ source: 'headers', fields: { traceparent: otherParent } });
  });

  it('finds a carrier in the key, as older Go pushers wrote it', () => {
    const key = JSON.stringify({ traceparent, baggage: 'user=1' });
    const decoded = decodeMessage(
      message({ keyText: key, text: 'v', headers: headers({ traceparent: otherParent }) }),
      true,
    );
    expect(decoded).toEqual({
      key,
      value: 'v',
      trace: { source: 'key', fields: { traceparent, baggage: 'user=1' } },
    });
  });

  it('ignores a key that mentions traceparent but is no carrier', () => {
    for (const keyText of ['traceparent', '{"traceparent": 5}', '{"traceparent":']) {
      const decoded = decodeMessage(message({ keyText }), true);
      expect(decoded.key).toBe(keyText);
      expect(decoded.trace.source).toBe('none');
    }
  });

  it('reads W3C propagation headers, and only those', () => {
    const decoded = decodeMessage(
      message({
        text: 'v',
        headers: headers({
          traceparent,
          tracestate: 'a=1',
          baggage: 'b=2',
          'x-other': 'dropped',
        }),
      }),
      true,
    );
    expect(decoded.trace).toEqual({
      source: 'headers',
      fields: { traceparent, tracestate: 'a=1', baggage: 'b=2' },
    });
  });

  it("says 'none' for headers without traceparent but keeps what it found", () => {
    const decoded = decodeMessage(message({ headers: headers({ baggage: 'b=2' }) }), true);
    expect(decoded.trace).toEqual({ source: 'none', fields: { baggage: 'b=2' } });
  });
});

describe('the envelope exactly as gopkg writes it (http.Header carrier)', () => {
  // What json.Marshal of xtrace.MqMsg gives: canonical keys, array values.
  const goEnvelope = JSON.stringify({
    carrier: { Traceparent: [traceparent], Tracestate: ['vendor=1'], Baggage: ['b=2', 'c=3'] },
    body: '{"order":"ñ-1"}',
  });

  it('takes the trace from canonical keys with array values, and gives the task body', () => {
    const decoded = decodeMessage(message({ text: goEnvelope }), true);
    expect(decoded).toEqual({
      key: '',
      value: '{"order":"ñ-1"}',
      trace: {
        source: 'envelope',
        fields: { traceparent, tracestate: 'vendor=1', baggage: 'b=2' },
      },
    });
  });

  it("lets the envelope's producer span win over go-queue's W3C headers", () => {
    const decoded = decodeMessage(
      message({ text: goEnvelope, headers: headers({ traceparent: otherParent }) }),
      true,
    );
    expect(decoded.trace.source).toBe('envelope');
    expect(decoded.trace.fields.traceparent).toBe(traceparent);
  });

  it('reads keys in any case, as encoding/json does', () => {
    const text = JSON.stringify({ Carrier: { TRACEPARENT: traceparent }, Body: 'x' });
    expect(unwrapGoEnvelope(text)).toEqual({ body: 'x', carrier: { traceparent } });
  });

  it('skips carrier values that are neither strings nor arrays of strings', () => {
    const text = envelope({ Traceparent: [7, traceparent], Other: [1], N: 2 }, 'x');
    expect(unwrapGoEnvelope(text)).toEqual({ body: 'x', carrier: { traceparent } });
  });

  it('gives the task body with tracing off too (no traceparent at all)', () => {
    const text = envelope({}, 'payload');
    expect(decodeMessage(message({ text }), true).value).toBe('payload');
  });
});

describe('unwrapGoEnvelope', () => {
  it('returns body and the string fields of the carrier', () => {
    expect(unwrapGoEnvelope(envelope({ traceparent, n: 1 }, 'x'))).toEqual({
      body: 'x',
      carrier: { traceparent },
    });
  });

  it('returns undefined for anything else', () => {
    expect(unwrapGoEnvelope('plain text')).toBeUndefined();
    expect(unwrapGoEnvelope('{"body":"x"}')).toBeUndefined();
    expect(unwrapGoEnvelope('"carrier"')).toBeUndefined();
  });
});
