export {
  type ResolvedTraceConfig,
  type ResolveTraceConfigOptions,
  resolveTraceConfig,
  traceBatchers,
  traceConfigDefaults,
} from './config/trace-config.js';
export {
  type JsonLinesSink,
  JsonLinesSpanExporter,
  type SpanRecord,
} from './exporters/json-lines.js';
export type { ImportModule } from './exporters/load-optional.js';
export { MissingExporterError } from './exporters/missing-exporter-error.js';
export { createConsumerSpanMiddleware } from './middleware/consumer-span.js';
export { createProducerSpanMiddleware } from './middleware/producer-span.js';
export type { SpanMiddlewareOptions } from './middleware/span-helpers.js';
export { type SetupTracingOptions, setupTracing } from './setup/setup-tracing.js';
export type { Tracing } from './setup/tracing.js';
