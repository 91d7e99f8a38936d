import { defineConfig } from 'vitest/config';

/**
 * Workspace packages export their TypeScript under the `source` condition and compiled JavaScript by
 * default (`pnpm build`); tests always run the sources. The rest are Node's (no `module`: some packages' ESM builds under it do not run in Node).
 */
const conditions = ['source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Integration suites isolate themselves (own databases, subjects, streams), so files run in parallel.
    fileParallelism: true,
    maxWorkers: 3,
    // The console is built once per run (every stack's gateway serves it at /), and the packages compiled.
    globalSetup: ['test/support/build-console.ts', 'test/support/build-packages.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A poll waits on another process (a browser, a consumer): the default 1 s is a timing bet under a loaded CI machine.
    expect: { poll: { timeout: 10_000 } },
    reporters: ['default', 'json'],
    outputFile: { json: '.data/test-results.json' },
  },
});
