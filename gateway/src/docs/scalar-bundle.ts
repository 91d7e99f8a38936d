import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '@gatehouse/service-kit/edge';

/** Where the build writes Scalar's browser bundle, beside the gateway's compiled code. */
export const BUILT_SCALAR_BUNDLE = join(packageRoot(import.meta.url), 'dist/docs/scalar.js');

/**
 * Writes Scalar's standalone browser bundle to `file`. The bundle is a 4.9 MB string literal inside
 * @scalar/fastify-api-reference: the plugin is imported here only, registered in a throw-away Fastify
 * and asked for the script, so a process that serves the file never holds the module in its heap.
 */
export async function writeScalarBundleTo(file: string): Promise<void> {
  const [{ default: Fastify }, { default: apiReference }] = await Promise.all([
    import('fastify'),
    import('@scalar/fastify-api-reference'),
  ]);
  const scratch = Fastify({ logger: false });
  try {
    await scratch.register(apiReference, { routePrefix: '/docs', configuration: { url: '/openapi.json' } });
    const answer = await scratch.inject({ method: 'GET', url: '/docs/js/scalar.js' });
    if (answer.statusCode !== 200 || answer.body.length < 100_000) {
      throw new Error(`Scalar's bundle was not served (${answer.statusCode}, ${answer.body.length} bytes)`);
    }
    // Written beside and renamed, so a reader never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, answer.body);
    await rename(partial, file);
  } finally {
    await scratch.close();
  }
}

let located: Promise<string> | undefined;

/**
 * The bundle's file: the one the build wrote, or (under tsx, or a build that skipped the step) one
 * written on first use into a temporary folder. Memoised; a failure is not, so the next request retries.
 */
export function scalarBundleFile(): Promise<string> {
  located ??= locate().catch((error: unknown) => {
    located = undefined;
    throw error;
  });
  return located;
}

async function locate(): Promise<string> {
  if (existsSync(BUILT_SCALAR_BUNDLE)) return BUILT_SCALAR_BUNDLE;
  // A fresh private folder (never a fixed /tmp name another user could plant a script at), removed
  // when the process exits so test runs leave no 5 MB files behind.
  const folder = await mkdtemp(join(tmpdir(), 'gatehouse-scalar-'));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const file = join(folder, 'scalar.js');
  await writeScalarBundleTo(file);
  return file;
}
