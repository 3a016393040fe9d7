// Mutation testing of the code that holds the invariants ("never commit past
// unfinished work", "never more than processors in flight", "a revoked
// partition's old run never moves the new owner's commit"). Run it with
// `pnpm mutation`; the report lands in reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'packages/core/src/transport/**/*.ts',
    'packages/core/src/server/**/*.ts',
    'packages/kafka/src/consumer/**/*.ts',
    // Barrels and type-only files: nothing to mutate.
    '!**/index.ts',
    '!**/types.ts',
    '!packages/core/src/server/run-event.ts',
  ],
  coverageAnalysis: 'perTest',
  // A re-run retests only the mutants whose code or covering tests changed
  // (`--force` retests all). The file is in reports/, which git ignores.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  // Raise it on a machine with cores to spare: `pnpm mutation --concurrency 4`.
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
