import type { TraceBatcher } from '@tasks/core';
import { MissingExporterError } from './missing-exporter-error.js';

/** Loads a module by name; the default is the runtime's dynamic `import()`. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/** The exporter package each batcher loads, and the version line that matches this SDK. */
export const exporterPackages = {
  otlphttp: { name: '@opentelemetry/exporter-trace-otlp-http', range: '^0.223.1' },
  jaeger: { name: '@opentelemetry/exporter-trace-otlp-http', range: '^0.223.1' },
  otlpgrpc: { name: '@opentelemetry/exporter-trace-otlp-grpc', range: '^0.223.1' },
  zipkin: { name: '@opentelemetry/exporter-zipkin', range: '^2.12.1' },
} as const satisfies Partial<Record<TraceBatcher, { name: string; range: string }>>;

export const defaultImportModule: ImportModule = (specifier) => import(specifier);

function isNotFound(error: unknown, specifier: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    (typeof message === 'string' &&
      // Vite and vitest stub a missing optional peer with `Could not resolve "<name>"`.
      /cannot find (module|package)|failed to (load|resolve)|could not resolve/i.test(message));
  return notFound && typeof message === 'string' && message.includes(specifier);
}

/**
 * Imports the exporter package of `batcher` and returns its export `name`.
 * A package that is not installed becomes a `MissingExporterError` saying
 * what to install; any other failure is rethrown as it is.
 */
export async function loadExporterClass<T>(
  batcher: keyof typeof exporterPackages,
  exportName: string,
  importModule: ImportModule,
): Promise<T> {
  const pkg = exporterPackages[batcher];
  const install = `npm install ${pkg.name}@${pkg.range}`;
  let loaded: unknown;
  try {
    loaded = await importModule(pkg.name);
  } catch (error) {
    if (isNotFound(error, pkg.name))
      throw new MissingExporterError(batcher, pkg.name, install, error);
    throw error;
  }
  const mod = loaded as Record<string, unknown> & { default?: Record<string, unknown> };
  const found = mod[exportName] ?? mod.default?.[exportName];
  if (typeof found !== 'function') {
    throw new MissingExporterError(
      batcher,
      pkg.name,
      `the installed version has no ${exportName} export; ${install}`,
      undefined,
    );
  }
  return found as T;
}
