/** Where spans go: mirrors go-zero's `trace.Config` batcher names. */
export type TraceBatcher = 'otlphttp' | 'otlpgrpc' | 'zipkin' | 'jaeger' | 'file' | 'console';

/**
 * go-zero's `trace.Config`, in camelCase. Core only carries it;
 * `@tasks/otel` turns it into a tracer provider.
 */
export interface TraceConfig {
  /** The service name spans are reported under. */
  name: string;
  /** Collector URL (or a file path for `batcher: file`). */
  endpoint?: string;
  /** Fraction of new traces to sample, 0 to 1. */
  sampler?: number;
  batcher?: TraceBatcher;
  otlpHeaders?: Readonly<Record<string, string>>;
  otlpHttpPath?: string;
  disabled?: boolean;
}
