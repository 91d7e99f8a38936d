/**
 * The scale-out run as its own processes: `infra/local/start.ts --replicas 2`, running the compiled
 * code as production does (test/support/build-packages.ts compiled it for the run), on ports, databases, NATS subjects, stream, Redis
 * keys, principal keys and mail folder of its own, so a `pnpm start`, the bench (18xxx) or another
 * suite is never touched. start.ts prints each replica's pid as it starts one; the kill test reads them here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dropDatabase } from '@gatehouse/service-kit';
import { connect as connectNats } from 'nats';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const SERVICES = ['identity', 'organization', 'project', 'audit', 'billing'] as const;
/** HAProxy's ports: the front door, and each service's; replicas listen on these + 100 and + 200. */
export const PORTS = {
  gateway: 26080,
  identity: 26001,
  organization: 26002,
  project: 26003,
  console: 26004,
  audit: 26005,
  billing: 26006,
} as const;
export type Kind = keyof typeof PORTS;

function databaseUrl(service: string): string {
  const url = new URL(SERVER);
  url.pathname = `/gatehouse_scaleout_${service}`;
  return url.toString();
}

/** Every database of the run, dropped first so each run starts on an empty one (its migrations race, too). */
async function dropDatabases(): Promise<void> {
  for (const service of SERVICES) await dropDatabase(databaseUrl(service));
}

/** Billing's plans with no project or member limit on Free: the kill test creates many projects. */
async function unlimitedPlansFile(dir: string): Promise<string> {
  type Plans = { tiers: Array<{ id: string; entitlements: Record<string, unknown> }> };
  const plans = JSON.parse(await readFile(join(root, 'services/billing/plans.json'), 'utf8')) as Plans;
  for (const tier of plans.tiers)
    if (tier.id === 'free') Object.assign(tier.entitlements, { maxProjects: null, maxMembers: null });
  const file = join(dir, 'plans.json');
  await writeFile(file, JSON.stringify(plans));
  return file;
}

export interface ScaleOutSystem {
  url: string;
  mailDir: string;
  keysDir: string;
  /** The newest pid of each replica (`project-1`, `gateway-2`, …), as start.ts printed it. */
  pids: Map<string, number>;
  /** When the replica's next start is printed (after a kill, start.ts starts it again). */
  restarted(name: string, after: number): Promise<void>;
  stop(): Promise<void>;
}

/** `consoleDistDir`: a console build to serve (the run's own), so start.ts does not build another. */
export async function startScaleOut(readyWithinMs: number, consoleDistDir: string): Promise<ScaleOutSystem> {
  const run = Date.now().toString(36);
  const dir = join(root, '.data', `scale-out-${run}`);
  const mailDir = join(dir, 'mail');
  const keysDir = join(dir, 'keys');
  await mkdir(mailDir, { recursive: true });
  await dropDatabases();
  const url = `http://127.0.0.1:${PORTS.gateway}`;
  const stream = `SCALEOUT_${run.toUpperCase()}`;
  const unlimited = '1000000';
  const env: Record<string, string> = {
    PUBLIC_URL: url,
    ...Object.fromEntries(Object.entries(PORTS).map(([kind, port]) => [`${kind.toUpperCase()}_PORT`, String(port)])),
    ...Object.fromEntries(SERVICES.map((service) => [`${service.toUpperCase()}_DATABASE_URL`, databaseUrl(service)])),
    GATEHOUSE_KEYS_DIR: keysDir,
    CONSOLE_DIST_DIR: consoleDistDir,
    MAIL_OUTBOX_DIR: mailDir,
    BILLING_PLANS_FILE: await unlimitedPlansFile(dir),
    NATS_SUBJECT_PREFIX: `scaleout${run}.`,
    EVENTS_STREAM: stream,
    RATE_LIMIT_KEY_PREFIX: `gh:scaleout:${run}`,
    // The suites sign up and in many times from 127.0.0.1 (the stack's own gateway gets the same).
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    RATE_LIMIT_SSO_START_MAX: '1000',
    RATE_LIMIT_SSO_FINISH_MAX: '1000',
    RATE_LIMIT_MFA_IP_MAX: '1000',
    RATE_LIMIT_PASSKEY_MAX: '1000',
    RATE_LIMIT_IP_MAX: unlimited,
    RATE_LIMIT_CREDENTIAL_MAX: unlimited,
    // Fifteen processes start and serve at once on a small machine: a credential lookup over NATS may
    // wait its turn longer than the 2 s default, which would answer 503 for a slow machine, not a fault.
    CREDENTIAL_RESOLVE_TIMEOUT_MS: '10000',
    LOG_LEVEL: process.env.SCALE_OUT_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: '0',
  };
  const log = createWriteStream(join(dir, 'system.log'));
  // Its own process group: a stop that has to force it takes every replica with it.
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'infra/local/start.ts', '--replicas', '2'],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const pids = new Map<string, number>();
  const starts: Array<{ name: string; at: number }> = [];
  let ready = false;
  let exited = false;
  const readyOrGone = new Promise<void>((done, fail) => {
    for (const output of [child.stdout, child.stderr]) {
      if (!output) continue;
      createInterface({ input: output }).on('line', (line) => {
        log.write(`${line}\n`);
        const started = line.match(/^… (\S+) started: pid (\d+), port \d+$/);
        if (started?.[1]) {
          pids.set(started[1], Number(started[2]));
          starts.push({ name: started[1], at: Date.now() });
        }
        if (line.includes('Gatehouse is running at')) {
          ready = true;
          done();
        }
      });
    }
    child.once('exit', (code) => {
      exited = true;
      if (!ready) fail(new Error(`start.ts exited (${code}) before the system was ready; see ${dir}/system.log`));
    });
    setTimeout(
      () => fail(new Error(`not ready within ${readyWithinMs} ms; see ${dir}/system.log`)),
      readyWithinMs,
    ).unref();
  });

  const stop = async () => {
    if (!exited && child.pid) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const forced = setTimeout(() => {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      }, 20_000);
      await gone;
      clearTimeout(forced);
    }
    log.end();
    const nc = await connectNats({ servers: NATS_URL });
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
    await nc.close();
    await dropDatabases().catch(() => undefined);
    // The log stays (.data/scale-out-*/system.log) for a failure to be read; keys and mail go.
    await rm(keysDir, { recursive: true, force: true });
    await rm(mailDir, { recursive: true, force: true });
  };
  try {
    await readyOrGone;
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    mailDir,
    keysDir,
    pids,
    async restarted(name, after) {
      for (;;) {
        if (starts.some((start) => start.name === name && start.at > after)) return;
        if (exited) throw new Error('start.ts exited');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}
