import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildConsoleApp } from '../../services/console/scripts/build.js';

/**
 * vitest globalSetup: what `pnpm build` makes, minus its typecheck (pnpm test runs that), once per run
 * before any suite: every package compiled to its dist/ and the console's app in services/console/dist/web.
 * The suites that run production code (the image replay, the replicated system) start from these; the
 * rest run the TypeScript sources and never read dist/.
 */
export default async function setup() {
  const root = process.cwd();
  await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['--conditions=source', 'infra/build/compile.ts'], {
    cwd: root,
  });
  await buildConsoleApp(join(root, 'services/console/dist/web'));
}
