import { defineConfig, type Options } from 'tsup';

/**
 * For a package whose public types use Node's (`Buffer`, `AbortSignal`,
 * `NodeJS.Signals`): every emitted `.d.ts`/`.d.cts` references them, and the
 * package lists `@types/node` in `dependencies`, so a project that never
 * installed `@types/node` still typechecks (scripts/check-packed.mjs proves it).
 */
export const nodeTypes: Options['dts'] = { banner: '/// <reference types="node" />' };

/**
 * The one build every package shares: ESM and CJS side by side, with
 * `.d.ts` and `.d.cts` so both resolution modes see matching types.
 */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
