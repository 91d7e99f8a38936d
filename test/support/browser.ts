import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';

/**
 * The one place tests launch headless Chromium (driven by playwright-core, never a downloaded
 * browser). Which binary:
 * - CHROMIUM_PATH: that binary;
 * - GATEHOUSE_CHROMIUM=system: the Debian package's /usr/bin/chromium (STACK.md);
 * - GATEHOUSE_CHROMIUM=bundled: the browser inside the @sparticuz/chromium devDependency;
 * - neither: /usr/bin/chromium when it is there, else the bundled one, so `pnpm test` passes on a
 *   machine that has PostgreSQL, Redis and NATS but no system Chromium.
 */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** STACK.md's flags for the system browser. */
const SYSTEM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];

/**
 * @sparticuz/chromium's flags are for AWS Lambda. These would change what the tests check (the
 * same-origin policy, CSP, mixed content, site isolation), so the bundled browser runs without them:
 * it runs multi-process here, as the system browser does.
 */
const LAMBDA_ONLY_FLAGS = new Set([
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
  '--single-process',
  '--no-zygote',
]);

export type ChromiumSource = 'path' | 'system' | 'bundled';

export interface ChromiumChoice {
  source: ChromiumSource;
  launch: LaunchOptions & { executablePath: string };
}

function chosenSource(): ChromiumSource {
  if (process.env.CHROMIUM_PATH) return 'path';
  const wanted = process.env.GATEHOUSE_CHROMIUM;
  if (wanted === 'system' || wanted === 'bundled') return wanted;
  if (wanted) throw new Error(`GATEHOUSE_CHROMIUM must be "system" or "bundled", not "${wanted}"`);
  return existsSync(SYSTEM_CHROMIUM) ? 'system' : 'bundled';
}

/** The binary, flags and environment for this machine (the bundled browser is unpacked on first use). */
export async function chooseChromium(): Promise<ChromiumChoice> {
  const source = chosenSource();
  if (source === 'path') {
    return { source, launch: { executablePath: process.env.CHROMIUM_PATH as string, args: SYSTEM_FLAGS } };
  }
  if (source === 'system') {
    if (!existsSync(SYSTEM_CHROMIUM)) {
      throw new Error(
        `GATEHOUSE_CHROMIUM=system, but ${SYSTEM_CHROMIUM} is not installed (apt-get install -y chromium)`,
      );
    }
    return { source, launch: { executablePath: SYSTEM_CHROMIUM, args: SYSTEM_FLAGS } };
  }
  return { source, launch: await bundledChromium() };
}

/** Launch attempts: a browser that crashes while starting (seen once on a loaded CI machine) gets another try. */
const LAUNCH_ATTEMPTS = 3;

export async function launchBrowser(): Promise<Browser> {
  const { source, launch } = await chooseChromium();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await chromium.launch(launch);
    } catch (error) {
      if (attempt >= LAUNCH_ATTEMPTS) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      process.stderr.write(`${source} Chromium did not start (attempt ${attempt}): ${reason}\n`);
    }
  }
}

async function bundledChromium(): Promise<LaunchOptions & { executablePath: string }> {
  // Loaded only when needed: the system browser never unpacks 200 MB into the temporary directory.
  const { default: Sparticuz, inflate } = await import('@sparticuz/chromium');
  const bin = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', 'bin');
  const executablePath = await unpackOnce(bin, async () => {
    const path = await Sparticuz.executablePath(bin);
    // NSS, NSPR and expat built for the package's browser; a machine without the chromium package
    // may have none of them (the package only unpacks them on Amazon Linux 2023).
    await inflate(join(bin, 'al2023.tar.br'));
    return path;
  });
  const libraries = join(tmpdir(), 'al2023', 'lib');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.LD_LIBRARY_PATH = [libraries, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  // The package's fonts (its fonts.conf names /tmp/fonts) when the machine has no fontconfig of its own.
  if (!env.FONTCONFIG_PATH && !existsSync('/etc/fonts/fonts.conf')) env.FONTCONFIG_PATH = join(tmpdir(), 'fonts');
  return {
    executablePath,
    args: [
      ...Sparticuz.args.filter((flag) => !LAMBDA_ONLY_FLAGS.has(flag)),
      '--disable-background-networking',
      '--disable-component-update',
    ],
    env,
  };
}

/** How long an unpack may hold the lock before another process takes it as abandoned. */
const STALE_LOCK_MS = 5 * 60_000;

/**
 * Test files run in parallel processes, and the package unpacks into fixed paths of the
 * temporary directory with no care for a second process doing the same, which could launch a
 * half-written binary. One process unpacks, under a lock directory (mkdir is atomic); a marker
 * naming the package version says the unpack finished; the others wait for it.
 */
async function unpackOnce(bin: string, unpack: () => Promise<string>): Promise<string> {
  const { version } = JSON.parse(await readFile(join(bin, '..', 'package.json'), 'utf8')) as { version: string };
  const marker = join(tmpdir(), `chromium.unpacked-${version}`);
  const lock = join(tmpdir(), 'chromium.unpack-lock');
  for (;;) {
    if (existsSync(marker)) return unpack(); // everything is there: returns at once
    try {
      await mkdir(lock);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const held = await stat(lock).catch(() => null);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (existsSync(marker)) continue;
      // Leftovers of an interrupted unpack or another version: the package would take them as done.
      for (const leftover of ['chromium', 'fonts', 'al2023']) {
        await rm(join(tmpdir(), leftover), { recursive: true, force: true });
      }
      const path = await unpack();
      await writeFile(marker, `${path}\n`);
      return path;
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}
