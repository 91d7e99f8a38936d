import type { TestProject } from 'vitest/node';

/** globalSetup of test/scale-out/e2e.config.ts: the console the outer run already built. */
export default function setup(project: TestProject) {
  const dir = process.env.SCALE_OUT_CONSOLE_DIST_DIR;
  if (!dir) throw new Error('SCALE_OUT_CONSOLE_DIST_DIR: the console build the scale-out test was given');
  project.provide('consoleDistDir', dir);
}
