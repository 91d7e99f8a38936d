import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropDatabase } from '@gatehouse/service-kit';
import { eventually, freePort, generatePrincipalKeys, testNamespace } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_NODE_FLAGS } from '../../infra/build/node-flags.js';

/**
 * The production image without Docker (none runs here): the Dockerfile's prod stage (what the
 * runtime image's /app is) is replayed in a temporary folder — its `COPY --from=build` lines and its
 * offline `pnpm install --prod` — after the build stage's compile, then the deployables are started from there by the image's entrypoint.
 * What this proves: the compiled code runs on production dependencies alone (no tsx, no TypeScript,
 * no dev dependencies, no tests), each workspace package finds the others' dist/, and `migrate`
 * then `serve` bring a service up on an empty database.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const DEPLOYABLES = ['gateway', 'identity', 'organization', 'project', 'audit', 'billing', 'console'];
const DEV_ONLY = ['tsx', 'typescript', 'vitest', 'esbuild', '@biomejs+biome', 'vite', 'playwright-core'];

let image: string;
const ns = testNamespace();
const children: ChildProcess[] = [];

/** The `prod` stage's lines of the Dockerfile (what /prod, the runtime image's /app, is made of), continuation lines joined. */
async function prodStage(): Promise<string[]> {
  const text = await readFile(join(root, 'infra/docker/Dockerfile'), 'utf8');
  const stage = text.split(/^FROM build AS prod$/m)[1]?.split(/^FROM .* AS runtime$/m)[0];
  if (!stage) throw new Error('the Dockerfile has no prod stage');
  return stage
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** Replays the prod stage's COPY --from=build and pnpm install lines into `dir`, then adds the entrypoint. */
async function replayProdStage(dir: string): Promise<void> {
  for (const line of await prodStage()) {
    const fromBuild = /^COPY --from=build (.+)$/.exec(line);
    if (fromBuild?.[1]) {
      const parts = fromBuild[1].split(/\s+/);
      const target = parts.pop() as string;
      for (const source of parts) {
        const from = join(root, source.replace(/^\/src\//, ''));
        const to = target.endsWith('/') ? join(dir, target, source.split('/').pop() as string) : join(dir, target);
        await mkdir(dirname(to), { recursive: true });
        await cp(from, to, { recursive: true });
      }
    } else if (line.startsWith('RUN ')) {
      await run('sh', ['-c', line.replace(/^RUN /, '')], {
        cwd: dir,
        env: { ...process.env, CI: '1' },
        timeout: 120_000,
      });
    }
  }
  await cp(join(root, 'infra/docker/entrypoint.sh'), join(dir, 'entrypoint.sh'));
}

function entrypoint(env: Record<string, string>, args: string[] = []) {
  const child = spawn('sh', [join(image, 'entrypoint.sh'), ...args], {
    cwd: image,
    env: {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_HOME: image,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_PRETTY: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  return { child, output, exited };
}

/** Every file under `dir` (node_modules skipped), relative to it. */
async function shippedFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.name === 'node_modules') continue;
    if (entry.isDirectory()) files.push(...(await shippedFiles(dir, path)));
    else files.push(path);
  }
  return files;
}

beforeAll(async () => {
  // The build stage's output (every dist/) was made once for the run by test/support/build-packages.ts.
  image = await mkdtemp(join(tmpdir(), 'gatehouse-image-'));
  await replayProdStage(image);
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (image) await rm(image, { recursive: true, force: true });
  await dropDatabase(ns.databaseUrl('project')).catch(() => undefined);
});

describe('the production image', () => {
  it('ships compiled JavaScript and production dependencies only', async () => {
    const files = await shippedFiles(image);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    // The other workspace packages are there as manifests only (the lockfile needs them).
    const outsideDeployables = files.filter((file) => /^(test|bench|sdk|infra)\//.test(file));
    expect(outsideDeployables.filter((file) => !file.endsWith('/package.json'))).toEqual([]);
    expect(files.filter((file) => /(^|\/)(test|tests)\//.test(file) && !file.endsWith('package.json'))).toEqual([]);
    for (const name of DEPLOYABLES) {
      const dir = name === 'gateway' ? 'gateway' : `services/${name}`;
      expect(files).toContain(join(dir, 'dist/src/main.js'));
    }
    expect(files).toContain('services/console/dist/web/index.html');
    expect(files).toContain('services/billing/plans.json');
    expect(files).not.toContain('shared/service-kit/dist/src/testing.js');
    const installed = await readdir(join(image, 'node_modules/.pnpm'));
    for (const devOnly of DEV_ONLY) {
      expect(installed.filter((entry) => entry.startsWith(`${devOnly}@`))).toEqual([]);
    }
  });

  it('starts every deployable from its compiled main: each reaches its configuration check', async () => {
    // Without configuration each stops at once, naming what is missing: every import resolved.
    const results = await Promise.all(
      DEPLOYABLES.filter((name) => name !== 'console').map(async (name) => {
        const started = entrypoint({ SERVICE: name });
        return { name, code: await started.exited, output: started.output.join('') };
      }),
    );
    for (const { name, code, output } of results) {
      expect({ name, code }).toEqual({ name, code: 1 });
      expect(output).toContain('Configuration error');
      expect(output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (package|module)/);
    }
  }, 120_000);

  it('runs with the node flags pnpm start and the bench use', async () => {
    const dockerfile = await readFile(join(root, 'infra/docker/Dockerfile'), 'utf8');
    // Quoted: ENV reads a bare space as the start of the next variable.
    expect(dockerfile).toContain(`NODE_OPTIONS="${PRODUCTION_NODE_FLAGS.join(' ')}"\n`);
  });

  it('refuses a SERVICE or a command it does not know', async () => {
    expect(await entrypoint({ SERVICE: 'mailer' }).exited).toBe(64);
    expect(await entrypoint({ SERVICE: 'project' }, ['reseal-everything']).exited).toBe(64);
    // A command names a script; a path never runs.
    expect(await entrypoint({ SERVICE: 'identity' }, ['../../../gateway/dist/src/main']).exited).toBe(64);
  });

  it('migrates an empty database, then serves the service ready and the console its app', async () => {
    const keys = await generatePrincipalKeys();
    const env = {
      SERVICE: 'project',
      HOST: '127.0.0.1',
      DATABASE_URL: ns.databaseUrl('project'),
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      EVENTS_STREAM: ns.stream,
      PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
    };
    const migrate = entrypoint(env, ['migrate']);
    expect(await migrate.exited, migrate.output.join('')).toBe(0);

    const projectPort = await freePort();
    entrypoint({ ...env, PORT: String(projectPort), MIGRATE_ON_START: 'false' });
    await eventually(async () => {
      const ready = await fetch(`http://127.0.0.1:${projectPort}/readyz`, { signal: AbortSignal.timeout(2000) });
      expect(ready.status).toBe(200);
    }, 60_000);

    const consolePort = await freePort();
    entrypoint({ SERVICE: 'console', HOST: '127.0.0.1', PORT: String(consolePort) });
    await eventually(async () => {
      const page = await fetch(`http://127.0.0.1:${consolePort}/`, { signal: AbortSignal.timeout(2000) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    }, 60_000);
  }, 180_000);
});
