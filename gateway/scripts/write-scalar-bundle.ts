/**
 * Build step (called by infra/build/compile.ts): writes Scalar's browser bundle once to
 * gateway/dist/docs/scalar.js, which GET /docs/js/scalar.js streams from disk.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BUILT_SCALAR_BUNDLE, writeScalarBundleTo } from '../src/docs/scalar-bundle.js';

/** Writes the bundle and answers its path. */
export async function writeScalarBundle(): Promise<string> {
  await mkdir(dirname(BUILT_SCALAR_BUNDLE), { recursive: true });
  await writeScalarBundleTo(BUILT_SCALAR_BUNDLE);
  return BUILT_SCALAR_BUNDLE;
}
