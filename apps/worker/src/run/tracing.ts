import type { Logger } from '@tasks/core';
import { type ResolvedTraceConfig, setupTracing, type Tracing } from '@tasks/otel';

/**
 * Tracing from the config's Telemetry section; undefined when the section is
 * missing or says `Disabled: true`.
 */
export async function setupWorkerTracing(
  config: ResolvedTraceConfig | undefined,
  logger: Logger,
): Promise<Tracing | undefined> {
  if (config === undefined || config.disabled) return undefined;
  return setupTracing(config, { logger });
}
