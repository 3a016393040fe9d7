import { defineConfig } from 'tsup';

export default defineConfig({
  // main: the worker; config-schema: writes etc/worker.schema.json from the config schema.
  entry: ['src/main.ts', 'src/config-schema.ts'],
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  sourcemap: true,
  clean: true,
});
