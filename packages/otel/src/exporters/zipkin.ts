import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { zipkinUrl } from '../config/endpoint.js';
import type { ResolvedTraceConfig } from '../config/trace-config.js';
import { type ImportModule, loadExporterClass } from './load-optional.js';

/** The part of `@opentelemetry/exporter-zipkin`'s API this package uses. */
type ZipkinExporterClass = new (config?: { url?: string; serviceName?: string }) => SpanExporter;

/** `batcher: zipkin`: Zipkin v2 JSON to `endpoint` (a bare host gets `/api/v2/spans`). */
export async function createZipkinExporter(
  config: ResolvedTraceConfig,
  importModule: ImportModule,
): Promise<SpanExporter> {
  const Exporter = await loadExporterClass<ZipkinExporterClass>(
    'zipkin',
    'ZipkinExporter',
    importModule,
  );
  const url = zipkinUrl(config.endpoint);
  return new Exporter({ serviceName: config.name, ...(url === undefined ? {} : { url }) });
}
