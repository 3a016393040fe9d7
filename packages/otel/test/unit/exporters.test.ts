import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  ConfigError,
  ErrorCodes,
  isTasksError,
  ShutdownError,
  StateError,
  silentLogger,
} from '@tasks/core';
import {
  JsonLinesSpanExporter,
  MissingExporterError,
  type SpanRecord,
  setupTracing,
} from '@tasks/otel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inbound, sampledTraceparent, taskContext } from '../support/helpers.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tasks-otel-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An importer serving a fake exporter module that remembers how it was built. */
function fakeModule(exportName: string) {
  const built: unknown[] = [];
  class FakeExporter {
    constructor(config: unknown) {
      built.push(config);
    }
    export(_spans: unknown, done: (result: { code: number }) => void) {
      done({ code: 0 });
    }
    shutdown() {
      return Promise.resolve();
    }
  }
  const requested: string[] = [];
  return {
    built,
    requested,
    importModule: (specifier: string) => {
      requested.push(specifier);
      return Promise.resolve({ [exportName]: FakeExporter });
    },
  };
}

describe('batcher file', () => {
  it('appends one readable JSON span per line to the path in endpoint', async () => {
    const path = join(dir, 'nested', 'spans.jsonl');
    const tracing = await setupTracing(
      { name: 'worker', batcher: 'file', endpoint: path },
      { logger: silentLogger },
    );
    const message = inbound({ headers: { traceparent: Buffer.from(sampledTraceparent) } });
    await tracing.middleware(taskContext(message), async () => {
      trace.getTracer('task').startSpan('inner').end();
    });
    await expect(
      tracing.middleware(taskContext(inbound({ offset: '43' })), () =>
        Promise.reject(new Error('boom')),
      ),
    ).rejects.toThrow('boom');
    await tracing.shutdown();

    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const records = lines.map((line) => JSON.parse(line) as SpanRecord);
    const [inner, ok, failed] = records;
    expect(inner?.name).toBe('inner');
    expect(inner?.parentSpanId).toBe(ok?.spanId);
    expect(ok).toMatchObject({
      name: 'process orders',
      kind: 'CONSUMER',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      status: { code: 'UNSET' },
      attributes: { 'messaging.destination.name': 'orders', 'tasks.task.key': 'order' },
      resource: { 'service.name': 'worker' },
      scope: { name: '@tasks/otel' },
    });
    expect(Date.parse(ok!.startTime)).not.toBeNaN();
    expect(ok!.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed?.status).toEqual({ code: 'ERROR', message: 'boom' });
    expect(failed?.events[0]?.name).toBe('exception');
  });

  it('appends to an existing file across restarts', async () => {
    const path = join(dir, 'spans.jsonl');
    for (const run of [1, 2]) {
      const tracing = await setupTracing(
        { name: `run-${run}`, batcher: 'file', endpoint: path },
        { logger: silentLogger },
      );
      await tracing.middleware(taskContext(), async () => {});
      await tracing.shutdown();
    }
    const services = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as SpanRecord).resource['service.name']);
    expect(services).toEqual(['run-1', 'run-2']);
  });

  it('fails at setup, naming the endpoint, when the file cannot be opened', async () => {
    const error = await setupTracing(
      { name: 'w', batcher: 'file', endpoint: dir },
      { logger: silentLogger },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.path).toBe('endpoint');
  });
});

describe('optional exporters', () => {
  it('gives a typed error naming the package to install when an exporter is missing', async () => {
    const error = await setupTracing(
      { name: 'w', batcher: 'otlpgrpc', endpoint: 'collector:4317' },
      {
        logger: silentLogger,
        importModule: (specifier) =>
          Promise.reject(
            Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/x.js`), {
              code: 'ERR_MODULE_NOT_FOUND',
            }),
          ),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingExporterError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(isTasksError(error) && error.code).toBe(ErrorCodes.ConfigInvalid);
    const missing = error as MissingExporterError;
    expect(missing.packageName).toBe('@opentelemetry/exporter-trace-otlp-grpc');
    expect(missing.batcher).toBe('otlpgrpc');
    expect(missing.message).toContain('npm install @opentelemetry/exporter-trace-otlp-grpc@');
  });

  it('really loads nothing but the chosen exporter: gRPC is not installed here', async () => {
    const error = await setupTracing(
      { name: 'w', batcher: 'otlpgrpc', endpoint: 'collector:4317' },
      { logger: silentLogger },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingExporterError);
    expect((error as MissingExporterError).packageName).toBe(
      '@opentelemetry/exporter-trace-otlp-grpc',
    );
  });

  it('rethrows other load failures as they are', async () => {
    const failure = new SyntaxError('bad module');
    await expect(
      setupTracing(
        { name: 'w', batcher: 'zipkin' },
        { logger: silentLogger, importModule: () => Promise.reject(failure) },
      ),
    ).rejects.toBe(failure);
  });

  it('builds the OTLP/HTTP exporter with the URL and headers from the config', async () => {
    const fake = fakeModule('OTLPTraceExporter');
    const tracing = await setupTracing(
      {
        name: 'w',
        batcher: 'otlphttp',
        endpoint: 'collector:4318',
        otlpHeaders: { 'x-api-key': 'k' },
      },
      { logger: silentLogger, importModule: fake.importModule },
    );
    await tracing.shutdown();
    expect(fake.requested).toEqual(['@opentelemetry/exporter-trace-otlp-http']);
    expect(fake.built).toEqual([
      { url: 'http://collector:4318/v1/traces', headers: { 'x-api-key': 'k' } },
    ]);
  });

  it.each([
    [
      { endpoint: 'https://collector.example/otlp/v1/traces' },
      'https://collector.example/otlp/v1/traces',
    ],
    [{ endpoint: 'collector:4318', otlpHttpPath: '/custom' }, 'http://collector:4318/custom'],
    [{ endpoint: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
  ])('resolves the OTLP/HTTP URL of %j', async (config, url) => {
    const fake = fakeModule('OTLPTraceExporter');
    const tracing = await setupTracing(
      { name: 'w', batcher: 'otlphttp', ...config },
      { logger: silentLogger, importModule: fake.importModule },
    );
    await tracing.shutdown();
    expect(fake.built).toEqual([{ url }]);
  });

  it('lets the exporter pick its default (or OTEL_EXPORTER_OTLP_* env) without an endpoint', async () => {
    const fake = fakeModule('OTLPTraceExporter');
    const tracing = await setupTracing(
      { name: 'w' },
      { logger: silentLogger, importModule: fake.importModule },
    );
    await tracing.shutdown();
    expect(fake.built).toEqual([{}]);
  });

  it('sends jaeger over OTLP/HTTP', async () => {
    const fake = fakeModule('OTLPTraceExporter');
    const tracing = await setupTracing(
      { name: 'w', batcher: 'jaeger', endpoint: 'http://jaeger:4318' },
      { logger: silentLogger, importModule: fake.importModule },
    );
    await tracing.shutdown();
    expect(fake.requested).toEqual(['@opentelemetry/exporter-trace-otlp-http']);
    expect(fake.built).toEqual([{ url: 'http://jaeger:4318/v1/traces' }]);
  });

  it('builds the OTLP/gRPC exporter with a plaintext URL and the headers as metadata', async () => {
    const fake = fakeModule('OTLPTraceExporter');
    const tracing = await setupTracing(
      {
        name: 'w',
        batcher: 'otlpgrpc',
        endpoint: 'collector:4317',
        otlpHeaders: { 'X-Api-Key': 'k' },
      },
      { logger: silentLogger, importModule: fake.importModule },
    );
    await tracing.shutdown();
    expect(fake.requested).toEqual(['@opentelemetry/exporter-trace-otlp-grpc']);
    const config = fake.built[0] as { url: string; metadata: { clone(): { getMap(): unknown } } };
    expect(config.url).toBe('http://collector:4317');
    // What the gRPC exporter reads of it: clone().getMap().
    expect(config.metadata.clone().getMap()).toEqual({ 'x-api-key': 'k' });
  });

  it('builds the Zipkin exporter with the service name and the v2 spans URL', async () => {
    const fake = fakeModule('ZipkinExporter');
    const tracing = await setupTracing(
      { name: 'w', batcher: 'zipkin', endpoint: 'http://zipkin:9411' },
      { logger: silentLogger, importModule: fake.importModule },
    );
    await tracing.shutdown();
    expect(fake.built).toEqual([{ serviceName: 'w', url: 'http://zipkin:9411/api/v2/spans' }]);
  });

  it('loads the real Zipkin exporter', async () => {
    const tracing = await setupTracing(
      { name: 'w', batcher: 'zipkin', endpoint: 'http://127.0.0.1:9' },
      { logger: silentLogger, shutdownTimeoutMs: 100 },
    );
    expect(tracing.enabled).toBe(true);
    await tracing.shutdown();
  });
});

describe('batcher otlphttp, for real', () => {
  it('exports OTLP/JSON with the configured path and headers to a local receiver', async () => {
    const receiver = await OtlpReceiver.start();
    try {
      const tracing = await setupTracing(
        {
          name: 'otlp-unit',
          batcher: 'otlphttp',
          endpoint: receiver.url.replace('http://', ''),
          otlpHttpPath: '/ingest/traces',
          otlpHeaders: { 'x-api-key': 'secret' },
        },
        { logger: silentLogger },
      );
      await tracing.middleware(taskContext(), async () => {});
      await tracing.shutdown();
      const [span] = await receiver.waitFor((spans) => spans.length >= 1);
      expect(receiver.requests[0]?.path).toBe('/ingest/traces');
      expect(receiver.requests[0]?.headers['x-api-key']).toBe('secret');
      expect(span).toMatchObject({
        service: 'otlp-unit',
        name: 'process orders',
        kind: 5,
        attributes: { 'messaging.kafka.message.offset': 42, 'tasks.attempt': 1 },
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('misuse and shutdown errors are TasksErrors', () => {
  it('refuses a shutdownTimeoutMs that is not a finite number >= 0, naming the option', async () => {
    for (const shutdownTimeoutMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const failure = await setupTracing(
        { name: 'w', batcher: 'console' },
        { logger: silentLogger, shutdownTimeoutMs },
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).problems).toEqual([
        { path: 'shutdownTimeoutMs', message: expect.stringContaining(String(shutdownTimeoutMs)) },
      ]);
    }
  });

  it('reports a shutdown that outlasts shutdownTimeoutMs as a ShutdownError', async () => {
    const warned: unknown[] = [];
    const logger = {
      ...silentLogger,
      warn: (_message: string, fields?: Record<string, unknown>) => void warned.push(fields?.error),
    };
    const tracing = await setupTracing(
      { name: 'w', batcher: 'console' },
      {
        logger,
        shutdownTimeoutMs: 10,
        exporter: {
          export: (_spans, done) => done({ code: 0 }),
          shutdown: () => new Promise(() => {}),
        },
      },
    );
    await tracing.shutdown();
    expect(warned).toEqual([expect.any(ShutdownError)]);
    expect((warned[0] as Error).message).toContain('took longer than 10 ms');
  });

  it('fails an export after shutdown with a StateError', async () => {
    const exporter = new JsonLinesSpanExporter({ write: () => {} });
    await exporter.shutdown();
    const result = await new Promise<ExportResult>((resolve) => exporter.export([], resolve));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(StateError);
    expect(isTasksError(result.error)).toBe(true);
  });

  it('wraps a sink that throws a non-Error the one way core does', async () => {
    const exporter = new JsonLinesSpanExporter({
      write: () => Promise.reject('disk full'),
    });
    const result = await new Promise<ExportResult>((resolve) => exporter.export([], resolve));
    expect(result.error).toMatchObject({ message: 'threw a non-Error value: disk full' });
  });
});
