import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildConsoleApp } from '../../services/console/scripts/build.js';

/**
 * vitest globalSetup: builds the console once per run into a folder of its own, so every stack
 * serves the app as it is in the tree (and parallel runs never rebuild each other's files).
 */
export default async function setup(project: TestProject) {
  const outDir = join(process.cwd(), '.data/console', `run-${process.pid}-${Date.now()}`);
  await buildConsoleApp(outDir);
  project.provide('consoleDistDir', outDir);
  return async () => {
    await rm(outDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    consoleDistDir: string;
  }
}
