import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { otlpHttpUrl } from '../config/endpoint.js';
import type { ResolvedTraceConfig } from '../config/trace-config.js';
import { type ImportModule, loadExporterClass } from './load-optional.js';

/** The part of `@opentelemetry/exporter-trace-otlp-http`'s API this package uses. */
type OtlpHttpExporterClass = new (config?: {
  url?: string;
  headers?: Record<string, string>;
}) => SpanExporter;

/**
 * `batcher: otlphttp`: OTLP over HTTP with JSON bodies, to
 * `endpoint` + `otlpHttpPath` (default `/v1/traces`), with `otlpHeaders`.
 * Without an endpoint the exporter's own default applies
 * (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `http://localhost:4318/v1/traces`).
 */
export async function createOtlpHttpExporter(
  config: ResolvedTraceConfig,
  importModule: ImportModule,
  batcher: 'otlphttp' | 'jaeger' = 'otlphttp',
): Promise<SpanExporter> {
  const Exporter = await loadExporterClass<OtlpHttpExporterClass>(
    batcher,
    'OTLPTraceExporter',
    importModule,
  );
  const url = otlpHttpUrl(config.endpoint, config.otlpHttpPath);
  const headers = { ...config.otlpHeaders };
  return new Exporter({
    ...(url === undefined ? {} : { url }),
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
  });
}
