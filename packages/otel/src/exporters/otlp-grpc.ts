import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { otlpGrpcUrl } from '../config/endpoint.js';
import type { ResolvedTraceConfig } from '../config/trace-config.js';
import { type ImportModule, loadExporterClass } from './load-optional.js';

/**
 * The part of gRPC's `Metadata` the OTLP/gRPC exporter reads from its config:
 * it clones what it is given and copies `getMap()` into its own metadata.
 * Implemented here so this package needs no import of `@grpc/grpc-js`.
 */
class HeaderMetadata {
  readonly #entries: Map<string, string>;

  constructor(entries: Iterable<readonly [string, string]>) {
    this.#entries = new Map([...entries].map(([k, v]) => [k.toLowerCase(), v]));
  }

  get(key: string): string[] {
    const value = this.#entries.get(key.toLowerCase());
    return value === undefined ? [] : [value];
  }

  set(key: string, value: string): void {
    this.#entries.set(key.toLowerCase(), value);
  }

  getMap(): Record<string, string> {
    return Object.fromEntries(this.#entries);
  }

  clone(): HeaderMetadata {
    return new HeaderMetadata(this.#entries);
  }
}

/** The part of `@opentelemetry/exporter-trace-otlp-grpc`'s API this package uses. */
type OtlpGrpcExporterClass = new (config?: { url?: string; metadata?: unknown }) => SpanExporter;

/**
 * `batcher: otlpgrpc`: OTLP over gRPC to `endpoint` (`host:port` means
 * plaintext, as in go-zero; write `https://host:port` for TLS), with
 * `otlpHeaders` sent as gRPC metadata.
 */
export async function createOtlpGrpcExporter(
  config: ResolvedTraceConfig,
  importModule: ImportModule,
): Promise<SpanExporter> {
  const Exporter = await loadExporterClass<OtlpGrpcExporterClass>(
    'otlpgrpc',
    'OTLPTraceExporter',
    importModule,
  );
  const url = otlpGrpcUrl(config.endpoint);
  const headers = Object.entries(config.otlpHeaders);
  return new Exporter({
    ...(url === undefined ? {} : { url }),
    ...(headers.length === 0 ? {} : { metadata: new HeaderMetadata(headers) }),
  });
}
