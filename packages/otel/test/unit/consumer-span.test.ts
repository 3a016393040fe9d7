import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NonRetriableError, type TaskContext } from '@tasks/core';
import { createConsumerSpanMiddleware } from '@tasks/otel';
import { describe, expect, it, vi } from 'vitest';
import {
  inbound,
  memoryTracing,
  remoteSpanId,
  remoteTraceId,
  sampledTraceparent,
  taskContext,
} from '../support/helpers.js';

describe('consumer span middleware', () => {
  it('wraps a run in one CONSUMER span "process <topic>" with the messaging attributes', async () => {
    const { tracing, spans } = await memoryTracing();
    const ctx = taskContext(inbound({ topic: 'orders', partition: 3, offset: '42' }));
    await tracing.middleware(ctx, async () => {});

    const [span, ...rest] = await spans();
    expect(rest).toHaveLength(0);
    expect(span?.name).toBe('process orders');
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'order-workers',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.message.offset': 42,
      'messaging.kafka.message.key': 'order-1',
      'messaging.message.body.size': 8,
      'tasks.task.key': 'order',
      'tasks.attempt': 1,
    });
    expect(span?.resource.attributes['service.name']).toBe('otel-test');
    expect(span?.instrumentationScope.name).toBe('@tasks/otel');
  });

  it('keeps offsets beyond 2^53 exact, as text', async () => {
    const { tracing, spans } = await memoryTracing();
    await tracing.middleware(
      taskContext(inbound({ offset: '9223372036854775806' })),
      async () => {},
    );
    expect((await spans())[0]?.attributes['messaging.kafka.message.offset']).toBe(
      '9223372036854775806',
    );
  });

  it('marks a tombstone and leaves out a missing key', async () => {
    const { tracing, spans } = await memoryTracing();
    await tracing.middleware(taskContext(inbound({ key: null, value: null })), async () => {});
    const [span] = await spans();
    expect(span?.attributes['messaging.kafka.message.tombstone']).toBe(true);
    expect(span?.attributes).not.toHaveProperty('messaging.kafka.message.key');
  });

  it('is a root span when the message carries no trace context', async () => {
    const { tracing, spans } = await memoryTracing();
    await tracing.middleware(taskContext(), async () => {});
    expect((await spans())[0]?.parentSpanContext).toBeUndefined();
  });

  it('continues the trace from W3C headers (go-queue kq pusher, instrumentation-kafkajs)', async () => {
    const { tracing, spans } = await memoryTracing();
    const message = inbound({
      headers: {
        traceparent: Buffer.from(sampledTraceparent),
        tracestate: Buffer.from('vendor=abc'),
      },
    });
    await tracing.middleware(taskContext(message), async () => {});
    const [span] = await spans();
    expect(span?.spanContext().traceId).toBe(remoteTraceId);
    expect(span?.parentSpanContext?.spanId).toBe(remoteSpanId);
    expect(span?.parentSpanContext?.isRemote).toBe(true);
    expect(span?.spanContext().traceState?.get('vendor')).toBe('abc');
  });

  it("continues the trace from the Go kqkafka envelope's carrier (and the task gets the body)", async () => {
    const { tracing, spans } = await memoryTracing();
    const envelope = JSON.stringify({
      carrier: { traceparent: sampledTraceparent },
      body: '{"id":7}',
    });
    const ctx = taskContext(inbound({ value: Buffer.from(envelope) }));
    expect(ctx.trace.source).toBe('envelope');
    await tracing.middleware(ctx, async () => {});
    const [span] = await spans();
    expect(span?.spanContext().traceId).toBe(remoteTraceId);
    expect(span?.parentSpanContext?.spanId).toBe(remoteSpanId);
  });

  it("takes gopkg's http.Header carrier (canonical keys, arrays) over go-queue's W3C headers", async () => {
    const { tracing, spans } = await memoryTracing();
    const callerParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01';
    const envelope = JSON.stringify({
      carrier: { Traceparent: [sampledTraceparent], Tracestate: ['vendor=go'] },
      body: '{"id":8}',
    });
    const ctx = taskContext(
      inbound({
        value: Buffer.from(envelope),
        headers: { traceparent: Buffer.from(callerParent) },
      }),
    );
    expect(ctx.trace.source).toBe('envelope');
    await tracing.middleware(ctx, async () => {});
    const [span] = await spans();
    expect(span?.spanContext().traceId).toBe(remoteTraceId);
    expect(span?.parentSpanContext?.spanId).toBe(remoteSpanId);
    expect(span?.spanContext().traceState?.get('vendor')).toBe('go');
  });

  it("continues the trace from an older Go pusher's carrier in the key", async () => {
    const { tracing, spans } = await memoryTracing();
    const ctx = taskContext(
      inbound({ key: Buffer.from(JSON.stringify({ traceparent: sampledTraceparent })) }),
    );
    expect(ctx.trace.source).toBe('key');
    await tracing.middleware(ctx, async () => {});
    expect((await spans())[0]?.parentSpanContext?.spanId).toBe(remoteSpanId);
  });

  it('makes the span active while the task runs, so its spans nest under it, baggage included', async () => {
    const { tracing, spans } = await memoryTracing();
    const message = inbound({
      headers: {
        traceparent: Buffer.from(sampledTraceparent),
        baggage: Buffer.from('tenant=acme'),
      },
    });
    let seenBaggage: string | undefined;
    await tracing.middleware(taskContext(message), async () => {
      await Promise.resolve();
      seenBaggage = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      const child = trace.getTracer('task').startSpan('charge card');
      await new Promise<void>((resolve) => setImmediate(resolve));
      child.end();
    });
    const finished = await spans();
    const consumer = finished.find((s) => s.name === 'process orders');
    const child = finished.find((s) => s.name === 'charge card');
    expect(child?.parentSpanContext?.spanId).toBe(consumer?.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(remoteTraceId);
    expect(seenBaggage).toBe('acme');
  });

  it('records the exception and sets status ERROR when the task fails, and rethrows', async () => {
    const { tracing, spans } = await memoryTracing();
    const failure = new TypeError('card declined');
    await expect(tracing.middleware(taskContext(), () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    const [span] = await spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(span?.attributes['error.type']).toBe('TypeError');
    const exception = span?.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('card declined');
    expect(exception?.attributes?.['exception.type']).toBe('TypeError');
  });

  it("uses a TasksError's code as error.type, and copes with thrown non-errors", async () => {
    const { tracing, spans } = await memoryTracing();
    await expect(
      tracing.middleware(taskContext(), () => Promise.reject(new NonRetriableError('bad payload'))),
    ).rejects.toThrow('bad payload');
    await expect(
      tracing.middleware(taskContext(), () => Promise.reject('plain string')),
    ).rejects.toBe('plain string');
    const [first, second] = await spans();
    expect(first?.attributes['error.type']).toBe('TASKS_NON_RETRIABLE');
    expect(second?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain string' });
  });

  it("links a retry's span to the first attempt's span", async () => {
    const { tracing, spans } = await memoryTracing();
    const message = inbound();
    const attempt = (n: number): TaskContext => taskContext(message, { attempt: n });
    await expect(
      tracing.middleware(attempt(1), () => Promise.reject(new Error('x'))),
    ).rejects.toThrow();
    await expect(
      tracing.middleware(attempt(2), () => Promise.reject(new Error('x'))),
    ).rejects.toThrow();
    await tracing.middleware(attempt(3), async () => {});
    const [first, second, third] = await spans();
    expect(first?.links).toEqual([]);
    for (const retry of [second, third]) {
      expect(retry?.links).toHaveLength(1);
      expect(retry?.links[0]?.context.spanId).toBe(first?.spanContext().spanId);
    }
    expect(third?.attributes['tasks.attempt']).toBe(3);
  });

  it('records nothing for new traces with sampler 0, but follows a sampled parent', async () => {
    const { tracing, spans } = await memoryTracing({ sampler: 0 });
    let ran = 0;
    await tracing.middleware(taskContext(), async () => {
      ran += 1;
    });
    expect(await spans()).toHaveLength(0);
    const traced = inbound({ headers: { traceparent: Buffer.from(sampledTraceparent) } });
    await tracing.middleware(taskContext(traced), async () => {
      ran += 1;
    });
    expect(ran).toBe(2);
    expect((await spans()).map((s) => s.spanContext().traceId)).toEqual([remoteTraceId]);
  });

  it('with sampler 0, a run whose message carries no trace starts no span at all', async () => {
    const { tracing } = await memoryTracing({ sampler: 0 });
    let active: unknown = 'unset';
    await tracing.middleware(taskContext(), async () => {
      active = trace.getActiveSpan();
    });
    expect(active).toBeUndefined();
  });

  it('tells core which runs it only passes through: unsampled roots at sampler 0, every run when disabled', async () => {
    const traced = inbound({ headers: { traceparent: Buffer.from(sampledTraceparent) } });
    const atZero = (await memoryTracing({ sampler: 0 })).tracing.middleware;
    expect(atZero.passesThrough?.(taskContext())).toBe(true);
    expect(atZero.passesThrough?.(taskContext(traced))).toBe(false);
    const sampled = (await memoryTracing()).tracing.middleware;
    expect(sampled.passesThrough?.(taskContext()) ?? false).toBe(false);
    const disabled = (await memoryTracing({ disabled: true })).tracing.middleware;
    expect(disabled.passesThrough?.(taskContext())).toBe(true);
  });

  it('just calls through when disabled', async () => {
    const { tracing, spans } = await memoryTracing({ disabled: true });
    expect(tracing.enabled).toBe(false);
    expect(tracing.tracerProvider).toBeUndefined();
    let active: unknown = 'unset';
    await tracing.middleware(taskContext(), async () => {
      active = trace.getActiveSpan();
    });
    expect(active).toBeUndefined();
    expect(await spans()).toHaveLength(0);
  });

  it('stops tracing after shutdown and just calls through', async () => {
    const { tracing } = await memoryTracing();
    await tracing.shutdown();
    const next = vi.fn(async () => {});
    await tracing.middleware(taskContext(), next);
    expect(next).toHaveBeenCalledTimes(1);
  });
});

describe('createConsumerSpanMiddleware on the global API', () => {
  it('calls straight through, starting nothing, while no SDK is registered', async () => {
    const middleware = createConsumerSpanMiddleware();
    const getTracer = vi.spyOn(trace.getTracerProvider(), 'getTracer');
    let active: unknown = 'unset';
    await middleware(taskContext(), async () => {
      active = trace.getActiveSpan();
    });
    expect(active).toBeUndefined();
    expect(getTracer).not.toHaveBeenCalled();
    getTracer.mockRestore();
  });

  it('uses the SDK once setupTracing registered it globally', async () => {
    const middleware = createConsumerSpanMiddleware();
    const { spans } = await memoryTracing();
    await middleware(taskContext(), async () => {});
    expect((await spans()).map((s) => s.name)).toEqual(['process orders']);
  });

  it('never throws from telemetry: a broken propagator still lets the task run, once', async () => {
    const { tracing } = await memoryTracing();
    const middleware = createConsumerSpanMiddleware({
      tracerProvider: tracing.tracerProvider,
      propagator: {
        inject: () => {
          throw new Error('inject');
        },
        extract: () => {
          throw new Error('extract');
        },
        fields: () => [],
      },
    });
    const next = vi.fn(async () => {});
    const message = inbound({ headers: { traceparent: Buffer.from(sampledTraceparent) } });
    await middleware(taskContext(message), next);
    expect(next).toHaveBeenCalledTimes(1);
  });
});
