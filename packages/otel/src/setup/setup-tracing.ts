import type { Attributes } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type BufferConfig,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ConfigError,
  createConsoleLogger,
  type Logger,
  ShutdownError,
  type TaskContext,
  type TraceConfig,
} from '@tasks/core';
import { resolveTraceConfig } from '../config/trace-config.js';
import { createSpanExporter } from '../exporters/create-exporter.js';
import { defaultImportModule, type ImportModule } from '../exporters/load-optional.js';
import { ReportingExporter } from '../exporters/reporting-exporter.js';
import { consumerSpanMiddleware } from '../middleware/consumer-span.js';
import { producerSpanMiddleware } from '../middleware/producer-span.js';
import { tracerLookup } from '../middleware/span-helpers.js';
import { ATTR_SERVICE_NAME } from '../semconv.js';
import { type GlobalRegistration, registerGlobals } from './globals.js';
import type { Tracing } from './tracing.js';

export interface SetupTracingOptions {
  /** Send spans here instead of to the batcher's exporter (tests: `InMemorySpanExporter`). */
  readonly exporter?: SpanExporter;
  /**
   * Install the provider, the W3C trace-context + baggage propagator and an
   * AsyncLocalStorage context manager as the OpenTelemetry API's globals, so
   * `trace.getTracer()` anywhere lands here and spans nest across `await`.
   * Default true; undone by `shutdown()`.
   */
  readonly register?: boolean;
  /** Batch processor tuning (queue size, batch size, delay). */
  readonly batch?: BufferConfig;
  /** More resource attributes; `service.name` always comes from `config.name`. */
  readonly resourceAttributes?: Attributes;
  /** Where failed exports and shutdown trouble are reported. Default: core's console logger. */
  readonly logger?: Logger;
  /** How long `shutdown()` waits for the last export. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  /**
   * How optional exporter packages are loaded. Default: dynamic `import()`;
   * override to hand a bundler a static import, or in tests.
   */
  readonly importModule?: ImportModule;
}

const pluginName = '@tasks/otel';

function passThrough(config: ReturnType<typeof resolveTraceConfig>): Tracing {
  const done = () => Promise.resolve();
  return {
    name: pluginName,
    enabled: false,
    config,
    tracerProvider: undefined,
    middleware: Object.assign((_ctx: TaskContext, next: () => Promise<void>) => next(), {
      passesThrough: () => true,
    }),
    pushMiddleware: (message, next) => next(message),
    forceFlush: done,
    shutdown: done,
    stop: done,
  };
}

function withTimeout(work: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new ShutdownError(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Builds what go-zero's `trace.StartAgent` builds: a tracer provider named
 * `config.name`, a parent-based ratio sampler (`config.sampler`), a batch
 * processor in front of the `config.batcher` exporter, and the W3C
 * trace-context and baggage propagators, registered globally.
 *
 * The exporter package is imported only now, and only the one chosen; a
 * missing one is a `MissingExporterError` naming it. A bad config is a
 * `ConfigError` naming the field. With `disabled: true` nothing is built and
 * the returned middleware just calls through.
 *
 * @example
 * const tracing = await setupTracing({ name: 'worker', batcher: 'otlphttp', endpoint: 'collector:4318' });
 * const server = newTaskServer(ctx, { transport, plugins: [tracing] }); // stop() flushes it
 */
export async function setupTracing(
  config: TraceConfig,
  options: SetupTracingOptions = {},
): Promise<Tracing> {
  const resolved = resolveTraceConfig(config);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  if (!(Number.isFinite(shutdownTimeoutMs) && shutdownTimeoutMs >= 0)) {
    throw new ConfigError(
      [
        {
          path: 'shutdownTimeoutMs',
          message: `must be a finite number >= 0, got ${shutdownTimeoutMs}`,
        },
      ],
      'invalid tracing options',
    );
  }
  if (resolved.disabled) return passThrough(resolved);

  const logger = options.logger ?? createConsoleLogger();
  const exporter =
    options.exporter ??
    (await createSpanExporter(resolved, options.importModule ?? defaultImportModule));
  const target = {
    batcher: options.exporter ? 'custom' : resolved.batcher,
    ...(resolved.endpoint === undefined || options.exporter ? {} : { endpoint: resolved.endpoint }),
  };
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ ...options.resourceAttributes, [ATTR_SERVICE_NAME]: resolved.name }),
    ),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(resolved.sampler) }),
    spanProcessors: [
      new BatchSpanProcessor(new ReportingExporter(exporter, logger, target), options.batch),
    ],
  });
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });

  let registration: GlobalRegistration | undefined;
  if (options.register !== false) {
    registration = registerGlobals(provider, propagator);
    if (!registration.tracerProvider) {
      logger.warn(
        'another OpenTelemetry tracer provider is already registered globally; task spans still go to this one, spans started through the global API go to the other',
        { service: resolved.name },
      );
    }
  }

  let open = true;
  const lookup = tracerLookup(provider);
  const live = () => (open ? lookup() : undefined);
  let shuttingDown: Promise<void> | undefined;

  const forceFlush = async () => {
    try {
      await provider.forceFlush();
    } catch (error) {
      logger.warn('span flush failed', { ...target, error });
    }
  };
  const shutdown = () => {
    shuttingDown ??= (async () => {
      open = false;
      try {
        await withTimeout(provider.shutdown(), shutdownTimeoutMs, 'flushing spans');
      } catch (error) {
        logger.warn('tracing did not shut down cleanly; buffered spans may be lost', {
          ...target,
          error,
        });
      } finally {
        registration?.unregister();
      }
    })();
    return shuttingDown;
  };

  return {
    name: pluginName,
    enabled: true,
    config: resolved,
    tracerProvider: provider,
    // At sampler 0 no trace starts here: runs without a parent skip the span.
    middleware: consumerSpanMiddleware(live, propagator, resolved.sampler > 0),
    pushMiddleware: producerSpanMiddleware(live, propagator),
    forceFlush,
    shutdown,
    stop: shutdown,
  };
}
