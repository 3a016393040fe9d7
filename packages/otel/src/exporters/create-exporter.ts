import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ResolvedTraceConfig } from '../config/trace-config.js';
import { createConsoleExporter } from './console.js';
import { createFileExporter } from './file.js';
import { createJaegerExporter } from './jaeger.js';
import type { ImportModule } from './load-optional.js';
import { createOtlpGrpcExporter } from './otlp-grpc.js';
import { createOtlpHttpExporter } from './otlp-http.js';
import { createZipkinExporter } from './zipkin.js';

/** Builds the exporter `config.batcher` names, loading its package only now. */
export function createSpanExporter(
  config: ResolvedTraceConfig,
  importModule: ImportModule,
): Promise<SpanExporter> {
  switch (config.batcher) {
    case 'otlphttp':
      return createOtlpHttpExporter(config, importModule);
    case 'otlpgrpc':
      return createOtlpGrpcExporter(config, importModule);
    case 'zipkin':
      return createZipkinExporter(config, importModule);
    case 'jaeger':
      return createJaegerExporter(config, importModule);
    case 'file':
      return createFileExporter(config.endpoint ?? '');
    case 'console':
      return Promise.resolve(createConsoleExporter());
  }
}
