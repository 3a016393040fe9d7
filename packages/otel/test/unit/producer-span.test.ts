import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { OutboundMessage } from '@tasks/core';
import { composePush } from '@tasks/core/transport';
import { createProducerSpanMiddleware } from '@tasks/otel';
import { describe, expect, it } from 'vitest';
import { inbound, memoryTracing, taskContext } from '../support/helpers.js';

function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    topic: 'orders',
    key: 'order-1',
    value: '{"id":1}',
    headers: { 'x-app': 'demo' },
    ...overrides,
  };
}

/** A send that records what reached the broker. */
function recordingSend() {
  const sent: OutboundMessage[] = [];
  return { sent, send: async (message: OutboundMessage) => void sent.push(message) };
}

describe('producer span middleware', () => {
  it('starts a PRODUCER span "send <topic>" and injects its context into the headers', async () => {
    const { tracing, spans } = await memoryTracing();
    const { sent, send } = recordingSend();
    await composePush([tracing.pushMiddleware], send)(outbound({ partition: 2 }));

    const [span] = await spans();
    expect(span?.name).toBe('send orders');
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'orders',
      'messaging.destination.partition.id': '2',
      'messaging.kafka.message.key': 'order-1',
      'messaging.message.body.size': 8,
    });
    const headers = sent[0]?.headers ?? {};
    expect(headers['x-app']).toBe('demo');
    const { traceId, spanId } = span!.spanContext();
    expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('is a child of the active span, and carries baggage along', async () => {
    const { tracing, spans } = await memoryTracing();
    const { sent, send } = recordingSend();
    const parent = trace.getTracer('app').startSpan('http request');
    const withBaggage = propagation.setBaggage(
      trace.setSpan(context.active(), parent),
      propagation.createBaggage({ tenant: { value: 'acme' } }),
    );
    await context.with(withBaggage, () => composePush([tracing.pushMiddleware], send)(outbound()));
    parent.end();

    const producer = (await spans()).find((s) => s.name === 'send orders');
    expect(producer?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(sent[0]?.headers.baggage).toBe('tenant=acme');
  });

  it('round-trips: the consumer span of the pushed message is a child of the producer span', async () => {
    const { tracing, spans } = await memoryTracing();
    const { sent, send } = recordingSend();
    await composePush([tracing.pushMiddleware], send)(outbound());
    const headers = Object.fromEntries(
      Object.entries(sent[0]!.headers).map(([k, v]) => [k, Buffer.from(v)]),
    );
    await tracing.middleware(taskContext(inbound({ headers })), async () => {});
    const finished = await spans();
    const producer = finished.find((s) => s.kind === SpanKind.PRODUCER);
    const consumer = finished.find((s) => s.kind === SpanKind.CONSUMER);
    expect(consumer?.spanContext().traceId).toBe(producer?.spanContext().traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
  });

  it('ends with status ERROR when the send fails, and rethrows', async () => {
    const { tracing, spans } = await memoryTracing();
    const failure = new Error('broker unreachable');
    await expect(
      composePush([tracing.pushMiddleware], () => Promise.reject(failure))(outbound()),
    ).rejects.toBe(failure);
    const [span] = await spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker unreachable' });
  });

  it('leaves the message untouched when disabled', async () => {
    const { tracing, spans } = await memoryTracing({ disabled: true });
    const { sent, send } = recordingSend();
    const message = outbound();
    await composePush([tracing.pushMiddleware], send)(message);
    expect(sent[0]).toBe(message);
    expect(await spans()).toHaveLength(0);
  });

  it('leaves the message untouched while no SDK is registered (global API)', async () => {
    const { sent, send } = recordingSend();
    const message = outbound();
    await composePush([createProducerSpanMiddleware()], send)(message);
    expect(sent[0]).toBe(message);
  });

  it('still sends, without trace headers, when the propagator throws', async () => {
    const { tracing, spans } = await memoryTracing();
    const { sent, send } = recordingSend();
    const middleware = createProducerSpanMiddleware({
      tracerProvider: tracing.tracerProvider,
      propagator: {
        inject: () => {
          throw new Error('inject');
        },
        extract: (ctx) => ctx,
        fields: () => [],
      },
    });
    await composePush([middleware], send)(outbound());
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers.traceparent).toBeUndefined();
    expect(await spans()).toHaveLength(1);
  });
});
