import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type ITask,
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { setupTracing } from '@tasks/otel';
import { describe, expect, it } from 'vitest';
import {
  HandTransport,
  inbound,
  RecordingExporter,
  sampledTraceparent,
} from '../support/helpers.js';

function serverWith(task: ITask, plugins: Parameters<typeof newTaskServer>[1]['plugins']) {
  const transport = new HandTransport();
  const ctx = newTaskServerCtx(
    withTaskRoute({ order: 'orders' }),
    // The hand-driven transport writes no dead letters.
    withKafkaConf({
      brokers: ['127.0.0.1:9092'],
      group: 'order-workers',
      topic: 'orders',
      deadLetter: { enabled: false },
    }),
    withFuncRegister((factory) => factory.gen('order', () => task)),
  );
  const server = newTaskServer(ctx, {
    transport,
    plugins,
    logger: silentLogger,
    retry: { maxAttempts: 3, initialDelayMs: 0, maxDelayMs: 0 },
  });
  return { server, transport };
}

describe('setupTracing as a TaskServer plugin', () => {
  it('traces runs through the server, links retries, and flushes on stop', async () => {
    const exporter = new RecordingExporter();
    // A long batch delay: only the flush at stop() exports anything.
    const tracing = await setupTracing(
      { name: 'worker', batcher: 'console' },
      { exporter, logger: silentLogger, batch: { scheduledDelayMillis: 60_000 } },
    );
    let runs = 0;
    const seen: { key: string; value: string; inSpan: boolean }[] = [];
    const { server, transport } = serverWith(
      {
        run: async (_ctx, key, value) => {
          runs += 1;
          seen.push({ key, value, inSpan: trace.getActiveSpan() !== undefined });
          if (runs < 3) throw new Error(`attempt ${runs} failed`);
        },
        stop: () => {},
      },
      [tracing],
    );
    await server.start();
    await transport.deliver(inbound({ headers: { traceparent: Buffer.from(sampledTraceparent) } }));
    expect(exporter.spans).toHaveLength(0);
    await server.stop();

    expect(seen).toEqual(Array(3).fill({ key: 'order-1', value: '{"id":1}', inSpan: true }));
    const spans = exporter.spans;
    expect(
      spans.map((s) => [s.name, s.kind, s.attributes['tasks.attempt'], s.status.code]),
    ).toEqual([
      ['process orders', SpanKind.CONSUMER, 1, SpanStatusCode.ERROR],
      ['process orders', SpanKind.CONSUMER, 2, SpanStatusCode.ERROR],
      ['process orders', SpanKind.CONSUMER, 3, SpanStatusCode.UNSET],
    ]);
    const first = spans[0]!.spanContext();
    expect(spans[1]?.links[0]?.context.spanId).toBe(first.spanId);
    expect(spans[2]?.links[0]?.context.spanId).toBe(first.spanId);
    // Every attempt continues the producer's trace.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    // stop() also removed the global registration.
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('shuts down once, however often it is asked', async () => {
    const exporter = new RecordingExporter();
    const tracing = await setupTracing(
      { name: 'w', batcher: 'console' },
      { exporter, logger: silentLogger },
    );
    await Promise.all([tracing.stop(), tracing.shutdown(), tracing.stop()]);
    await tracing.forceFlush();
  });

  it('reports a failing exporter instead of losing spans silently, and never throws', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const tracing = await setupTracing(
      { name: 'w', batcher: 'console' },
      {
        logger,
        exporter: {
          export: (_spans, done) => done({ code: 1, error: new Error('collector down') }),
          shutdown: () => Promise.reject(new Error('cannot close')),
        },
      },
    );
    const { server, transport } = serverWith({ run: () => {}, stop: () => {} }, [tracing]);
    await server.start();
    await transport.deliver(inbound());
    await tracing.forceFlush();
    await server.stop();
    expect(warnings).toContain('span export failed; spans are being dropped until it recovers');
    expect(warnings).toContain('tracing did not shut down cleanly; buffered spans may be lost');
  });
});
