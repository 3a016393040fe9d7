import { randomUUID } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  type TaskServer,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport, TaskPusher } from '@tasks/kafka';
import { setupTracing } from '@tasks/otel';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** Resolves with the first value `push` receives, or rejects after `timeoutMs`. */
function deferred<T>(timeoutMs: number, what: string) {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)),
    timeoutMs,
  );
  return { promise: promise.finally(() => clearTimeout(timer)), resolve };
}

describe('push -> Kafka -> worker, spans over OTLP/HTTP', () => {
  it('puts the producer span and the consumer span as its child in one trace', async () => {
    const id = randomUUID().slice(0, 8);
    const topic = `otel-e2e-${id}`;
    const group = `otel-e2e-group-${id}`;

    const receiver = await OtlpReceiver.start();
    cleanups.push(() => receiver.close());
    const tracing = await setupTracing(
      { name: 'otel-e2e', batcher: 'otlphttp', endpoint: receiver.url },
      { logger: silentLogger, batch: { scheduledDelayMillis: 200 } },
    );
    cleanups.push(() => tracing.shutdown());

    const ran = deferred<{ key: string; value: string; traceId: string | undefined }>(
      60_000,
      'the task to run',
    );
    const serverCtx = newTaskServerCtx(
      withTaskRoute({ order: topic }),
      withKafkaConf({ brokers, group, topic, offset: 'first' }),
      withFuncRegister((factory) =>
        factory.gen('order', () => ({
          run: (_ctx, key, value) => {
            // A span the task starts nests under the CONSUMER span.
            trace.getTracer('order-task').startSpan('charge card').end();
            ran.resolve({ key, value, traceId: trace.getActiveSpan()?.spanContext().traceId });
          },
          stop: () => {},
        })),
      ),
    );
    const server: TaskServer = newTaskServer(serverCtx, {
      transport: new KafkaTransport({
        logger: silentLogger,
        createTopics: { partitions: 1, replicationFactor: 1 },
      }),
      plugins: [tracing],
      logger: silentLogger,
    });
    cleanups.push(() => server.stop());
    await server.start();

    const pusher = new TaskPusher({
      brokers,
      route: { order: topic },
      plugins: [tracing],
      flushIntervalMs: 0,
      logger: silentLogger,
      createTopics: { partitions: 1, replicationFactor: 1 },
    });
    cleanups.push(() => pusher.close());

    // The push happens inside a request's span, as in a web handler.
    const request = trace.getTracer('web').startSpan('POST /orders');
    await context.with(trace.setSpan(context.active(), request), () =>
      pusher.pushTask('order', '{"id":42}', { key: 'order-42' }),
    );
    request.end();

    const received = await ran.promise;
    expect(received).toMatchObject({ key: 'order-42', value: '{"id":42}' });
    expect(received.traceId).toBe(request.spanContext().traceId);

    // stop() runs the plugin's stop, which flushes the batch to the receiver.
    await server.stop();
    await pusher.close();
    const spans = await receiver.waitFor(
      (all) =>
        all.some((s) => s.kind === SPAN_KIND_CONSUMER) &&
        all.some((s) => s.kind === SPAN_KIND_PRODUCER) &&
        all.some((s) => s.name === 'charge card'),
    );

    const traceId = request.spanContext().traceId;
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const byName = (name: string): ReceivedSpan => {
      const found = inTrace.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };
    const producer = byName(`send ${topic}`);
    const consumer = byName(`process ${topic}`);
    const child = byName('charge card');

    expect(producer.kind).toBe(SPAN_KIND_PRODUCER);
    expect(producer.parentSpanId).toBe(request.spanContext().spanId);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.operation.type': 'send',
      'messaging.kafka.message.key': 'order-42',
    });

    expect(consumer.kind).toBe(SPAN_KIND_CONSUMER);
    expect(consumer.parentSpanId).toBe(producer.spanId);
    expect(consumer.service).toBe('otel-e2e');
    expect(consumer.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': group,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.message.offset': 0,
      'messaging.kafka.message.key': 'order-42',
      'messaging.message.body.size': 9,
      'tasks.task.key': 'order',
      'tasks.attempt': 1,
    });
    expect(child.parentSpanId).toBe(consumer.spanId);
    expect(receiver.requests.every((r) => r.path === '/v1/traces')).toBe(true);
  });
});
