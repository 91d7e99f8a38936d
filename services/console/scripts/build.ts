import { fileURLToPath } from 'node:url';

const CONFIG_FILE = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));

/** Builds the single-page app (Vite) into `outDir` (services/console/dist/web when not given). */
export async function buildConsoleApp(outDir?: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: CONFIG_FILE,
    logLevel: 'warn',
    ...(outDir ? { build: { outDir, emptyOutDir: true } } : {}),
  });
}
