import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The unit tests that guard the folders StrykerJS mutates (`pnpm mutation`):
// no broker, no built `dist`. Same aliases as vitest.config.ts.
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
    include: [
      'packages/core/test/unit/**/*.test.ts',
      'packages/kafka/test/unit/**/*.test.ts',
      'packages/testing/test/unit/**/*.test.ts',
    ],
    testTimeout: 20_000,
  },
});
