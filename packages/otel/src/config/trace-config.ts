import {
  ConfigError,
  type ConfigProblem,
  type TraceBatcher,
  type TraceConfig,
  traceBatcherNames,
  traceConfigSchema,
} from '@tasks/core';
import { hasScheme, httpEndpointProblem, jaegerEndpointProblem } from './endpoint.js';

/** Every batcher name `TraceConfig.batcher` takes, as go-zero spells them. */
export const traceBatchers: readonly TraceBatcher[] = traceBatcherNames;

/** The values a `TraceConfig` gets for what it leaves out. */
export const traceConfigDefaults = {
  sampler: 1,
  batcher: 'otlphttp',
  disabled: false,
} as const satisfies Partial<TraceConfig>;

/** A checked `TraceConfig` with its defaults filled in. */
export interface ResolvedTraceConfig extends TraceConfig {
  readonly name: string;
  readonly endpoint?: string;
  readonly sampler: number;
  readonly batcher: TraceBatcher;
  readonly otlpHeaders: Readonly<Record<string, string>>;
  readonly otlpHttpPath?: string;
  readonly disabled: boolean;
}

export interface ResolveTraceConfigOptions {
  /** Where the config sits, for error paths (e.g. `Telemetry`). Default `telemetry`. */
  readonly path?: string;
  /** The service name to use when the config has none (e.g. the worker's `Name`). */
  readonly name?: string;
}

/** The fields, from core's `traceConfigSchema` (the one definition of their names). */
type KnownKey = keyof typeof traceConfigSchema.entries;
const knownKeys = Object.keys(traceConfigSchema.entries) as KnownKey[];

/** go-zero YAML writes `Endpoint`, `OtlpHeaders`; we write `endpoint`, `otlpHeaders`. Both work. */
function camelKey(key: string): string {
  return key.length === 0 ? key : key[0]!.toLowerCase() + key.slice(1);
}

function isKnown(key: string): key is KnownKey {
  return (knownKeys as readonly string[]).includes(key);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a tracing configuration (camelCase, or go-zero's PascalCase keys from
 * YAML) and fills in the defaults. Throws one `ConfigError` naming every field
 * at fault and the value it had.
 *
 * `otlpHttpSecure: true` (go-zero's switch for HTTPS) is folded into the
 * endpoint as an `https://` scheme.
 */
export function resolveTraceConfig(
  raw: unknown,
  options: ResolveTraceConfigOptions = {},
): ResolvedTraceConfig {
  const base = options.path ?? 'telemetry';
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string) =>
    problems.push({ path: `${base}.${field}`, message });
  if (!isRecord(raw)) {
    throw new ConfigError([{ path: base, message: `must be an object, got ${show(raw)}` }]);
  }

  const input: Partial<Record<KnownKey, unknown>> = {};
  const fieldName: Partial<Record<KnownKey, string>> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = camelKey(key);
    if (!isKnown(name)) {
      add(key, `unknown field (known: ${knownKeys.join(', ')})`);
      continue;
    }
    input[name] = value;
    fieldName[name] = key;
  }
  const at = (key: KnownKey) => fieldName[key] ?? key;

  let name = options.name;
  if (input.name !== undefined) {
    if (typeof input.name === 'string' && input.name.length > 0) name = input.name;
    else add(at('name'), `must be a non-empty string (the service name), got ${show(input.name)}`);
  } else if (name === undefined) {
    add('name', 'is required (the service name spans are reported under)');
  }

  let disabled: boolean = traceConfigDefaults.disabled;
  if (input.disabled !== undefined) {
    if (typeof input.disabled === 'boolean') disabled = input.disabled;
    else add(at('disabled'), `must be true or false, got ${show(input.disabled)}`);
  }

  let sampler: number = traceConfigDefaults.sampler;
  if (input.sampler !== undefined) {
    const value = input.sampler;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1) {
      sampler = value;
    } else {
      add(
        at('sampler'),
        `must be a number from 0 to 1 (the share of new traces kept), got ${show(value)}`,
      );
    }
  }

  let batcher: TraceBatcher = traceConfigDefaults.batcher;
  if (input.batcher !== undefined) {
    const value = input.batcher;
    if (typeof value === 'string' && (traceBatchers as readonly string[]).includes(value)) {
      batcher = value as TraceBatcher;
    } else {
      add(at('batcher'), `must be one of ${traceBatchers.join(', ')}, got ${show(value)}`);
    }
  }

  let endpoint: string | undefined;
  if (input.endpoint !== undefined) {
    if (typeof input.endpoint === 'string' && input.endpoint.trim().length > 0) {
      endpoint = input.endpoint.trim();
    } else if (input.endpoint !== '') {
      add(at('endpoint'), `must be a non-empty string, got ${show(input.endpoint)}`);
    }
  }

  const otlpHeaders: Record<string, string> = {};
  if (input.otlpHeaders !== undefined && input.otlpHeaders !== null) {
    if (!isRecord(input.otlpHeaders)) {
      add(
        at('otlpHeaders'),
        `must map header names to string values, got ${show(input.otlpHeaders)}`,
      );
    } else {
      for (const [header, value] of Object.entries(input.otlpHeaders)) {
        if (typeof value === 'string') otlpHeaders[header] = value;
        else add(`${at('otlpHeaders')}.${header}`, `must be a string, got ${typeof value}`);
      }
    }
  }

  let otlpHttpPath: string | undefined;
  if (input.otlpHttpPath !== undefined && input.otlpHttpPath !== '') {
    if (typeof input.otlpHttpPath === 'string' && input.otlpHttpPath.startsWith('/')) {
      otlpHttpPath = input.otlpHttpPath;
    } else {
      add(
        at('otlpHttpPath'),
        `must be a URL path starting with "/", got ${show(input.otlpHttpPath)}`,
      );
    }
  }

  if (input.otlpHttpSecure !== undefined) {
    if (typeof input.otlpHttpSecure !== 'boolean') {
      add(at('otlpHttpSecure'), `must be true or false, got ${show(input.otlpHttpSecure)}`);
    } else if (input.otlpHttpSecure && endpoint !== undefined && !hasScheme(endpoint)) {
      endpoint = `https://${endpoint}`;
    }
  }

  // What the endpoint must look like depends on the batcher. A disabled config
  // is not checked for it: switching tracing off should never need an edit.
  if (!disabled && problems.length === 0) {
    const field = at('endpoint');
    if (batcher === 'file' && endpoint === undefined) {
      add(field, 'is required for batcher "file": the path of the file spans are appended to');
    } else if (batcher === 'jaeger' && endpoint !== undefined) {
      const problem = jaegerEndpointProblem(endpoint);
      if (problem) add(field, problem);
    } else if ((batcher === 'otlphttp' || batcher === 'zipkin') && endpoint !== undefined) {
      const problem = httpEndpointProblem(endpoint);
      if (problem) add(field, problem);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems, 'invalid tracing configuration');
  return {
    name: name!,
    sampler,
    batcher,
    otlpHeaders,
    disabled,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(otlpHttpPath === undefined ? {} : { otlpHttpPath }),
  };
}
