import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests import each package by its public name; point those names at the
// sources so a test run never depends on a stale dist.
// `@tasks/testing/contract` maps to `packages/testing/src/contract/index.ts`.
const alias = [
  {
    find: /^@tasks\/(core|kafka|otel|testing)$/,
    replacement: here('./packages/$1/src/index.ts'),
  },
  {
    find: /^@tasks\/(core|kafka|otel|testing)\/([a-z-]+)$/,
    replacement: here('./packages/$1/src/$2/index.ts'),
  },
];

export default defineConfig({
  resolve: { alias },
  test: {
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    // `pnpm test:faults` names its own file, so it does not overwrite the unit and integration report.
    reporters: [
      'default',
      ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? 'test-results/vitest.json' }],
    ],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: [
            'packages/*/test/unit/**/*.test.ts',
            'apps/*/test/unit/**/*.test.ts',
            'scripts/*/test/**/*.test.ts',
          ],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: [
            'packages/*/test/integration/**/*.test.ts',
            'apps/*/test/integration/**/*.test.ts',
          ],
          globalSetup: ['./tooling/vitest/kafka-global-setup.ts'],
          setupFiles: ['./tooling/vitest/quiet-kafkajs.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The broker is shared; files still run in parallel, each on its own topics and groups.
          fileParallelism: true,
        },
      },
      {
        resolve: { alias },
        test: {
          // Kills and restarts brokers of its own 3-node cluster: one file at a time,
          // and after the other projects (`pnpm test` runs it as a second vitest run).
          name: 'faults',
          include: ['packages/*/test/faults/**/*.test.ts'],
          globalSetup: ['./tooling/vitest/kafka-fault-setup.ts'],
          setupFiles: ['./tooling/vitest/quiet-kafkajs.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
