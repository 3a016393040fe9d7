import { defineConfig, type Options } from 'tsup';

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
