import type { TaskServerPlugin } from '@tasks/core';

interface OtelModule {
  setupTracing(config: Record<string, unknown>): Promise<TaskServerPlugin>;
}

/**
 * @tasks/otel depends on @tasks/kafka (its tests push through it), so this
 * package cannot depend on it back: the bench loads its build by path.
 */
async function loadOtel(): Promise<OtelModule> {
  return (await import(new URL('../../../otel/dist/index.js', import.meta.url).href)) as OtelModule;
}

/** `setupTracing` at `sampler`, exporting to /dev/null with the `file` batcher. */
export async function tracingPlugin(sampler: number): Promise<TaskServerPlugin> {
  const otel = await loadOtel();
  return otel.setupTracing({ name: 'bench', batcher: 'file', endpoint: '/dev/null', sampler });
}
