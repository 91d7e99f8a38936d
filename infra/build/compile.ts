/**
 * `pnpm build`, step two (after `pnpm typecheck`): every workspace package that runs in production is
 * transpiled file by file to JavaScript under its own `dist/` (the package's layout kept: `src/` →
 * `dist/src/`, `migrations/` → `dist/migrations/`), with linked source maps. Nothing is bundled: each
 * package resolves its own npm dependencies from its own node_modules exactly as under tsx, and the
 * workspace packages find each other through their `exports` (`default` → dist, `source` → the .ts
 * that tests and `pnpm dev` run). Types were checked by tsc already; esbuild only strips them.
 */
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { glob } from 'tinyglobby';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The packages that run outside tests, and the folders of each that ship. */
/** Test-only modules a package exports under `source` alone: never compiled, so never shipped. */
const TEST_ONLY = ['shared/service-kit/src/testing.ts'];

export const COMPILED_PACKAGES: ReadonlyArray<{ dir: string; folders: readonly string[] }> = [
  { dir: 'shared/contracts', folders: ['src'] },
  { dir: 'shared/service-kit', folders: ['src'] },
  { dir: 'sdk', folders: ['src'] },
  { dir: 'gateway', folders: ['src'] },
  { dir: 'services/identity', folders: ['src', 'migrations', 'scripts'] },
  { dir: 'services/organization', folders: ['src', 'migrations'] },
  { dir: 'services/project', folders: ['src', 'migrations'] },
  { dir: 'services/audit', folders: ['src', 'migrations'] },
  { dir: 'services/billing', folders: ['src', 'migrations'] },
  { dir: 'services/console', folders: ['src'] },
];

async function compilePackage(dir: string, folders: readonly string[]): Promise<number> {
  const base = join(root, dir);
  const entryPoints = await glob(
    folders.map((folder) => `${folder}/**/*.ts`),
    { cwd: base, absolute: true, ignore: ['**/*.d.ts'] },
  );
  const shipped = entryPoints.filter((file) => !TEST_ONLY.some((testOnly) => file.endsWith(`/${testOnly}`)));
  // Compiled code of a file that was deleted or moved must not linger beside the rest.
  await rm(join(base, 'dist/src'), { recursive: true, force: true });
  for (const folder of folders) await rm(join(base, 'dist', folder), { recursive: true, force: true });
  await build({
    entryPoints: shipped,
    outdir: join(base, 'dist'),
    outbase: base,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    sourcemap: 'linked',
    // Stack traces name the .ts file and line; the sources themselves would only sit in every process's heap.
    sourcesContent: false,
    logLevel: 'warning',
  });
  return shipped.length;
}

const started = Date.now();
let files = 0;
for (const { dir, folders } of COMPILED_PACKAGES) files += await compilePackage(dir, folders);
// The API reference's 5 MB browser bundle as a file the gateway streams, never a string in its heap.
const { writeScalarBundle } = await import('../../gateway/scripts/write-scalar-bundle.js');
await writeScalarBundle();
console.log(`compiled ${files} files in ${COMPILED_PACKAGES.length} packages in ${Date.now() - started} ms`);
