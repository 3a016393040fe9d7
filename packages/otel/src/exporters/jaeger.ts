import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ResolvedTraceConfig } from '../config/trace-config.js';
import type { ImportModule } from './load-optional.js';
import { createOtlpHttpExporter } from './otlp-http.js';

/**
 * `batcher: jaeger`: Jaeger ingests OTLP natively, so this is OTLP/HTTP to
 * Jaeger's receiver (`http://jaeger:4318/v1/traces`). The retired Thrift
 * collector (`:14268/api/traces`) is refused by `resolveTraceConfig` with the
 * endpoint to use instead.
 */
export function createJaegerExporter(
  config: ResolvedTraceConfig,
  importModule: ImportModule,
): Promise<SpanExporter> {
  return createOtlpHttpExporter(config, importModule, 'jaeger');
}
