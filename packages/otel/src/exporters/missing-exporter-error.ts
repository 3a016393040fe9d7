import { ConfigError, type TraceBatcher } from '@tasks/core';

/**
 * The batcher needs an exporter package that is not installed. Exporters are
 * optional peer dependencies of `@tasks/otel`, so a service that sends OTLP
 * over HTTP never installs gRPC; install the one named here.
 */
export class MissingExporterError extends ConfigError {
  /** The npm package to install. */
  readonly packageName: string;
  readonly batcher: TraceBatcher;

  constructor(batcher: TraceBatcher, packageName: string, installHint: string, cause: unknown) {
    super(
      [
        {
          path: 'batcher',
          message: `"${batcher}" needs the package ${packageName}, which is not installed. Install it next to @tasks/otel: ${installHint}`,
        },
      ],
      'missing trace exporter',
    );
    this.packageName = packageName;
    this.batcher = batcher;
    Object.defineProperty(this, 'cause', { value: cause, configurable: true, writable: true });
  }
}
