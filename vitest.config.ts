import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Integration suites isolate themselves (own databases, subjects, streams), so files run in parallel.
    fileParallelism: true,
    maxWorkers: 3,
    // The console is built once per run; every stack's gateway serves it at /.
    globalSetup: ['test/support/build-console.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.data/test-results.json' },
  },
});
