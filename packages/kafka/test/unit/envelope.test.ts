import { unwrapGoEnvelope } from '@tasks/core';
import { describe, expect, it } from 'vitest';
import { toEnvelope } from '../../src/pusher/envelope.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe("the pusher's gopkg envelope", () => {
  it('writes the carrier as an http.Header: canonical keys, array values; headers stay', () => {
    const out = toEnvelope({
      topic: 't',
      key: 'k',
      value: Buffer.from('{"order":"grüße 🚀"}'),
      headers: { traceparent, tracestate: 'v=1', other: 'x' },
    });
    expect(JSON.parse(out.value as string)).toEqual({
      carrier: { Traceparent: [traceparent], Tracestate: ['v=1'] },
      body: '{"order":"grüße 🚀"}',
    });
    expect(out.headers).toEqual({ traceparent, tracestate: 'v=1', other: 'x' });
    expect(out.key).toBe('k');
  });

  it('writes an empty carrier with tracing off, and leaves a null value alone', () => {
    const out = toEnvelope({ topic: 't', key: null, value: 'plain', headers: {} });
    expect(out.value).toBe('{"carrier":{},"body":"plain"}');
    const tombstone = { topic: 't', key: null, value: null, headers: {} };
    expect(toEnvelope(tombstone)).toBe(tombstone);
  });

  it('is read back by the consumer: body for the task, the carrier for the trace', () => {
    const out = toEnvelope({ topic: 't', key: null, value: 'body ✓', headers: { traceparent } });
    expect(unwrapGoEnvelope(out.value as string)).toEqual({
      body: 'body ✓',
      carrier: { traceparent },
    });
  });
});
