import { randomUUID } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  type MessageHeaders,
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { type Compression, KafkaTransport, TaskPusher } from '@tasks/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildGoInterop,
  type GoCodec,
  type GoMode,
  goConsume,
  goProduce,
} from '../support/go-interop.js';
import { memoryTracing, RecordingExporter } from '../support/helpers.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const codecs: readonly GoCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const partitions = 2;

/** Non-ASCII text, JSON, and a value past one 32 KiB xerial snappy block. */
const messages = [
  { key: 'order-1', value: '{"id":1,"note":"plain"}' },
  { key: 'ключ-2', value: '{"id":2,"note":"grüße, 注文, заказ 🚀"}' },
  { key: 'order-3', value: `{"id":3,"pad":"${'é'.repeat(40_000)}"}` },
  { key: 'order-4', value: 'not json at all: ✓' },
  { key: 'order-5', value: '{"id":5}' },
];

const kafka = new Kafka({ clientId: 'go-interop-tests', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
let goBinary = '';

beforeAll(async () => {
  await admin.connect();
  goBinary = await buildGoInterop();
}, 300_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});
afterAll(async () => {
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

async function newTopic(label: string): Promise<string> {
  const topic = `go-interop-${label}-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  topics.push(topic);
  return topic;
}

/** Messages in the topic, from its high watermarks. */
async function messagesIn(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/**
 * Waits until the topic holds `count` messages, then says how many it holds.
 * go-queue's writer keeps kafka-go's default acks (none), so its writes land
 * a moment after it returns.
 */
async function settledCount(topic: string, count: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let held = await messagesIn(topic);
  while (held < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    held = await messagesIn(topic);
  }
  return held;
}

function parseTraceparent(value: string | undefined) {
  const [, traceId, spanId] = value?.split('-') ?? [];
  return { traceId, spanId };
}

interface Seen {
  readonly key: string;
  readonly value: string;
  readonly rawValue: Buffer | null;
  readonly headers: MessageHeaders;
  readonly offset: string;
  readonly partition: number;
  readonly traceId: string | undefined;
}

/** A TaskServer on Kafka with tracing, running one task that records what it saw. */
async function startWorker(topic: string) {
  // Keeps the spans after server.stop() shuts tracing down.
  const exporter = new RecordingExporter();
  const { tracing } = await memoryTracing({}, { exporter });
  const spans = async () => exporter.spans;
  const seen: Seen[] = [];
  const group = `go-interop-g-${randomUUID().slice(0, 8)}`;
  const server = newTaskServer(
    newTaskServerCtx(
      withTaskRoute({ order: topic }),
      withKafkaConf({ brokers, group, topic, offset: 'first', deadLetter: { enabled: false } }),
      withFuncRegister((factory) =>
        factory.gen('order', () => ({
          run: (ctx, key, value) => {
            seen.push({
              key,
              value,
              rawValue: ctx.rawValue,
              headers: ctx.headers,
              offset: ctx.offset,
              partition: ctx.partition,
              traceId: trace.getActiveSpan()?.spanContext().traceId,
            });
          },
          stop: () => {},
        })),
      ),
    ),
    {
      transport: new KafkaTransport({ logger: silentLogger }),
      plugins: [tracing],
      logger: silentLogger,
    },
  );
  cleanups.push(() => server.stop());
  await server.start();
  return { seen, spans, server };
}

async function waitUntil(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function goToTs(codec: GoCodec, mode: GoMode) {
  const topic = await newTopic(`${codec}-${mode}`);
  const produced = await goProduce(goBinary, { brokers, topic, codec, mode }, messages);
  expect(produced).toHaveLength(messages.length);
  expect(await settledCount(topic, messages.length)).toBe(messages.length);
  const worker = await startWorker(topic);
  await waitUntil(`${messages.length} runs`, () => worker.seen.length >= messages.length);
  await worker.server.stop();
  // Nothing more arrives: the worker ran each message once.
  expect(await messagesIn(topic)).toBe(messages.length);
  const spans: ReadableSpan[] = await worker.spans();
  return { topic, produced, seen: worker.seen, spans };
}

describe('Go (go-queue kq.Pusher, kafka-go) -> TypeScript worker', () => {
  for (const codec of codecs) {
    it(`consumes a ${codec} topic: keys, value bytes, W3C headers and the caller's span as parent`, async () => {
      const { topic, produced, seen, spans } = await goToTs(codec, 'pusher');
      expect(seen).toHaveLength(messages.length);
      expect(new Set(seen.map((s) => `${s.partition}@${s.offset}`)).size).toBe(messages.length);
      for (const message of messages) {
        const run = seen.find((s) => s.key === message.key);
        const sent = produced.find((p) => p.key === message.key);
        expect(run, message.key).toBeDefined();
        expect(run!.rawValue?.equals(Buffer.from(message.value, 'utf8'))).toBe(true);
        expect(run!.value).toBe(message.value);
        expect(Object.keys(run!.headers).sort()).toEqual(['traceparent', 'tracestate']);
        expect(run!.headers.traceparent?.toString()).toBe(
          `00-${sent!.traceId}-${sent!.parentSpanId}-01`,
        );
        expect(run!.headers.tracestate?.toString()).toBe('go=interop');
        expect(run!.traceId).toBe(sent!.traceId);
        const span = spans.find(
          (s) => s.name === `process ${topic}` && s.spanContext().traceId === sent!.traceId,
        );
        expect(span?.parentSpanContext?.spanId).toBe(sent!.parentSpanId);
      }
    });
  }

  for (const mode of ['publish', 'publish-no-headers'] as const) {
    it(`unwraps gopkg's envelope (${mode === 'publish' ? 'with' : 'without'} W3C headers): the task gets body, the kqkafka.Publish span is the parent`, async () => {
      const { topic, produced, seen, spans } = await goToTs('snappy', mode);
      expect(seen).toHaveLength(messages.length);
      for (const message of messages) {
        const run = seen.find((s) => s.key === message.key);
        const sent = produced.find((p) => p.key === message.key);
        expect(run!.value).toBe(message.value);
        const envelope = JSON.parse(run!.rawValue!.toString('utf8'));
        expect(Object.keys(envelope.carrier).sort()).toEqual(['Traceparent', 'Tracestate']);
        expect(envelope.carrier.Traceparent).toEqual([
          `00-${sent!.traceId}-${sent!.parentSpanId}-01`,
        ]);
        if (mode === 'publish') {
          // go-queue's headers carry the caller's span: the envelope must win.
          const fromHeaders = parseTraceparent(run!.headers.traceparent?.toString());
          expect(fromHeaders.traceId).toBe(sent!.traceId);
          expect(fromHeaders.spanId).not.toBe(sent!.parentSpanId);
        } else {
          expect(run!.headers).toEqual({});
        }
        const span = spans.find(
          (s) => s.name === `process ${topic}` && s.spanContext().traceId === sent!.traceId,
        );
        expect(span?.parentSpanContext?.spanId).toBe(sent!.parentSpanId);
      }
    });
  }
});

describe('TypeScript pusher -> Go (kafka-go reader configured like kq)', () => {
  async function tsToGo(compression: Compression, envelope: boolean) {
    const topic = await newTopic(`ts-${compression}${envelope ? '-env' : ''}`);
    const { tracing, spans } = await memoryTracing();
    const pusher = new TaskPusher({
      brokers,
      route: { order: topic },
      plugins: [tracing],
      compression,
      envelope,
      flushIntervalMs: 0,
      logger: silentLogger,
    });
    cleanups.push(() => pusher.close());
    const request = trace.getTracer('web').startSpan('POST /orders');
    await context.with(trace.setSpan(context.active(), request), () =>
      Promise.all(
        messages.map((m) =>
          pusher.pushTask('order', m.value, { key: m.key, headers: { 'x-order': m.key } }),
        ),
      ),
    );
    request.end();
    await pusher.close();
    expect(await messagesIn(topic)).toBe(messages.length);
    const group = `go-interop-go-${randomUUID().slice(0, 8)}`;
    const consumed = await goConsume(goBinary, { brokers, topic, group, count: messages.length });
    const producers = (await spans()).filter((s) => s.name === `send ${topic}`);
    return { consumed, producers, traceId: request.spanContext().traceId };
  }

  for (const codec of codecs) {
    it(`writes ${codec} batches Go reads: keys, value bytes, headers, our PRODUCER span as parent`, async () => {
      const { consumed, producers, traceId } = await tsToGo(codec, false);
      expect(consumed).toHaveLength(messages.length);
      expect(new Set(consumed.map((c) => `${c.partition}@${c.offset}`)).size).toBe(messages.length);
      expect(producers).toHaveLength(messages.length);
      for (const message of messages) {
        const got = consumed.find((c) => c.key === message.key);
        expect(got, message.key).toBeDefined();
        expect(Buffer.from(got!.value, 'base64').equals(Buffer.from(message.value, 'utf8'))).toBe(
          true,
        );
        expect(Object.keys(got!.headers).sort()).toEqual(['traceparent', 'x-order']);
        expect(got!.headers['x-order']).toBe(message.key);
        expect(got!.traceId).toBe(traceId);
        expect(producers.map((p) => p.spanContext().spanId)).toContain(got!.parentSpanId);
        expect(got!.body).toBeUndefined();
      }
      expect(new Set(consumed.map((c) => c.parentSpanId)).size).toBe(messages.length);
    });
  }

  it("writes gopkg's envelope that a kqkafka consumer unwraps, continuing our PRODUCER span", async () => {
    const { consumed, producers, traceId } = await tsToGo('snappy', true);
    expect(consumed).toHaveLength(messages.length);
    for (const message of messages) {
      const got = consumed.find((c) => c.key === message.key);
      expect(got!.body).toBe(message.value);
      expect(got!.envelopeTraceId).toBe(traceId);
      expect(producers.map((p) => p.spanContext().spanId)).toContain(got!.envelopeParentSpanId);
      // W3C headers too, as go-queue's pusher writes them.
      expect(got!.parentSpanId).toBe(got!.envelopeParentSpanId);
      expect(got!.headers['x-order']).toBe(message.key);
    }
  });
});
