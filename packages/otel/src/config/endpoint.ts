/**
 * Turning go-zero style endpoints (`host:port`, or a URL) into the URLs the
 * JavaScript exporters want, and spotting endpoints that cannot work.
 */

const scheme = /^[a-z][a-z0-9+.-]*:\/\//i;

/** True when `endpoint` starts with a scheme (`http://`, `udp://`, ...). */
export function hasScheme(endpoint: string): boolean {
  return scheme.test(endpoint);
}

/** Parses `endpoint` as a URL, adding `http://` to a bare `host:port`. Undefined if unparseable. */
export function parseEndpoint(endpoint: string): URL | undefined {
  try {
    return new URL(hasScheme(endpoint) ? endpoint : `http://${endpoint}`);
  } catch {
    return undefined;
  }
}

/** The path OTLP/HTTP collectors (and Jaeger) take traces on. */
export const OTLP_HTTP_TRACES_PATH = '/v1/traces';
export const ZIPKIN_SPANS_PATH = '/api/v2/spans';

/**
 * The OTLP/HTTP URL for an endpoint: `otlpHttpPath` replaces the path when
 * given, a bare host gets `/v1/traces`. Undefined means "let the exporter pick"
 * (it reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `http://localhost:4318/v1/traces`).
 */
export function otlpHttpUrl(
  endpoint: string | undefined,
  otlpHttpPath: string | undefined,
): string | undefined {
  if (endpoint === undefined) {
    return otlpHttpPath === undefined ? undefined : `http://localhost:4318${otlpHttpPath}`;
  }
  const url = parseEndpoint(endpoint);
  if (!url) return endpoint;
  if (otlpHttpPath !== undefined) url.pathname = otlpHttpPath;
  else if (url.pathname === '/' || url.pathname === '') url.pathname = OTLP_HTTP_TRACES_PATH;
  return url.toString();
}

/** The gRPC target: a bare `host:port` means plaintext, as go-zero's `otlpgrpc` does. */
export function otlpGrpcUrl(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  return hasScheme(endpoint) ? endpoint : `http://${endpoint}`;
}

/** The Zipkin v2 URL: a bare host gets `/api/v2/spans`. */
export function zipkinUrl(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  const url = parseEndpoint(endpoint);
  if (!url) return endpoint;
  if (url.pathname === '/' || url.pathname === '') url.pathname = ZIPKIN_SPANS_PATH;
  return url.toString();
}

function otlpHttpSuggestion(url: URL): string {
  return `${url.protocol === 'https:' ? 'https' : 'http'}://${url.hostname}:4318${OTLP_HTTP_TRACES_PATH}`;
}

/**
 * Why a `jaeger` endpoint cannot work, or undefined if it can. Jaeger takes
 * OTLP natively (4318 for HTTP, 4317 for gRPC); its Thrift collector
 * (`:14268/api/traces`, what go-zero's old `jaeger` batcher used) and UDP
 * agent (`:6831`) are gone from current Jaeger and from OpenTelemetry JS.
 */
export function jaegerEndpointProblem(endpoint: string): string | undefined {
  const url = parseEndpoint(endpoint);
  if (!url) return `is not a URL or host:port: ${JSON.stringify(endpoint)}`;
  const shown = JSON.stringify(endpoint);
  if (url.protocol === 'udp:' || url.port === '6831' || url.port === '6832') {
    return (
      `${shown} is a Jaeger agent (UDP/Thrift) address, which nothing sends to any more. ` +
      `Jaeger ingests OTLP: use endpoint "${otlpHttpSuggestion(url)}" (OTLP/HTTP), ` +
      `or batcher "otlpgrpc" with endpoint "${url.hostname}:4317".`
    );
  }
  if (url.port === '14268' || url.pathname.startsWith('/api/traces')) {
    return (
      `${shown} is the Jaeger Thrift collector, which current Jaeger and OpenTelemetry JS ` +
      `no longer support, so spans sent there would be lost. Jaeger ingests OTLP: use endpoint ` +
      `"${otlpHttpSuggestion(url)}" (OTLP/HTTP), or batcher "otlpgrpc" with endpoint "${url.hostname}:4317".`
    );
  }
  if (url.port === '4317') {
    return (
      `${shown} is Jaeger's OTLP/gRPC port, but batcher "jaeger" sends OTLP/HTTP. ` +
      `Use endpoint "${otlpHttpSuggestion(url)}", or batcher "otlpgrpc" to keep port 4317.`
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${shown} must be an http(s) URL or host:port (Jaeger's OTLP/HTTP receiver, e.g. "${otlpHttpSuggestion(url)}")`;
  }
  return undefined;
}

/** Why an http(s) endpoint cannot work, or undefined. */
export function httpEndpointProblem(endpoint: string): string | undefined {
  const url = parseEndpoint(endpoint);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return `must be an http(s) URL or host:port, got ${JSON.stringify(endpoint)}`;
  }
  return undefined;
}
