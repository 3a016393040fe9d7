import * as v from 'valibot';

/** Where spans go: mirrors go-zero's `trace.Config` batcher names. */
export const traceBatcherNames = [
  'otlphttp',
  'otlpgrpc',
  'zipkin',
  'jaeger',
  'file',
  'console',
] as const;
export type TraceBatcher = (typeof traceBatcherNames)[number];

/**
 * go-zero's `trace.Config`, in camelCase: the shape the `TraceConfig` type and
 * the worker's JSON Schema come from. Core only carries the config;
 * `@tasks/otel`'s `resolveTraceConfig` checks it (endpoints per batcher
 * included) and turns it into a tracer provider.
 */
export const traceConfigSchema = v.strictObject({
  name: v.pipe(
    v.string(),
    v.minLength(1),
    v.description('The service name spans are reported under.'),
  ),
  endpoint: v.optional(
    v.pipe(v.string(), v.description('Collector URL (or a file path for batcher "file").')),
  ),
  sampler: v.optional(
    v.pipe(
      v.number(),
      v.minValue(0),
      v.maxValue(1),
      v.description('Fraction of new traces to sample, 0 to 1.'),
    ),
  ),
  batcher: v.optional(
    v.pipe(v.picklist(traceBatcherNames), v.description('Where spans go (default otlphttp).')),
  ),
  otlpHeaders: v.optional(
    v.pipe(
      v.record(v.string(), v.string()),
      v.description('Headers sent with each OTLP export (e.g. an API key).'),
    ),
  ),
  otlpHttpPath: v.optional(
    v.pipe(v.string(), v.description('Replaces the URL path of an otlphttp endpoint.')),
  ),
  otlpHttpSecure: v.optional(
    v.pipe(v.boolean(), v.description('go-zero switch for HTTPS: folded into the endpoint.')),
  ),
  disabled: v.optional(v.pipe(v.boolean(), v.description('Turns tracing off.'))),
});

/**
 * go-zero's `trace.Config`, in camelCase. Core only carries it;
 * `@tasks/otel` turns it into a tracer provider.
 */
export type TraceConfig = v.InferInput<typeof traceConfigSchema>;
