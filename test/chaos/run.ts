/**
 * `pnpm test:chaos` (every fault) and `pnpm test:chaos --short` / CHAOS_SHORT=1 (one of each kind):
 * the system on a private PostgreSQL, Redis and NATS, the four processes started separately, a
 * workload from four loopback addresses, and each fault in turn — held, restored, then checked.
 * Exits 1 when any fault misses the bar (docs/chaos.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@gatehouse/service-kit/testing';
import { freshMfaKey, localOAuthSecrets, localPrincipalKeys, localSsoSecrets } from '../../infra/local/keys.js';
import { TestSmtpServer } from '../../services/identity/test/smtp.js';
import { ConsistencyCheck } from './check.js';
import { type Dependencies, destroyDependencies, startDependencies } from './deps.js';
import { type Fault, faultPlan } from './faults.js';
import { Recorder } from './http.js';
import { ManagedProcess, type ProcessName, waitReady } from './processes.js';
import { type PhaseReport, type PhaseWindow, phaseReport, printPhase, printSummary, recovery } from './report.js';
import { Workload } from './workload.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const SHORT = env.CHAOS_SHORT === '1' || process.argv.includes('--short');
const HOLD_MS = Number(env.CHAOS_HOLD_MS ?? (SHORT ? 10_000 : 12_000));
const BASELINE_MS = 3000;
/** After a restore the workload runs until it has been clean this long (or the bound below). */
const CLEAN_MS = 2000;
const AFTER_RESTORE_MAX_MS = 20_000;
const UPSTREAM_TIMEOUT_MS = Number(env.CHAOS_UPSTREAM_TIMEOUT_MS ?? 5000);
const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const UNLIMITED = '1000000000';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<unknown>> = [];

let interrupted = false;
/** The fault step under way (an injection or restore): cleanup waits for it, so nothing it starts outlives the run. */
let step: Promise<unknown> = Promise.resolve();

async function faultStep(action: () => Promise<void>): Promise<void> {
  if (interrupted) throw new Error('interrupted');
  step = action();
  await step;
}

/** Undoes everything once, however many paths ask (the run's end, a signal, the deadline). */
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.race([step.catch(() => undefined), sleep(20_000)]);
    for (const undo of cleanups.splice(0).reverse()) await undo().catch(() => undefined);
  })();
  return cleaning;
}

const closeAll = (processes: Record<ProcessName, ManagedProcess>) =>
  Promise.all(Object.values(processes).map((p) => p.close()));

async function startSystem(deps: Dependencies, smtpUrl: string, workDir: string, logDir: string) {
  const keys = await localPrincipalKeys(join(workDir, 'keys'));
  const oauth = await localOAuthSecrets(join(workDir, 'keys'));
  const sso = await localSsoSecrets(join(workDir, 'keys'));
  const ports = {
    gateway: await freePort(),
    identity: await freePort(),
    organization: await freePort(),
    project: await freePort(),
  };
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const common = {
    NATS_URL: deps.nats.url,
    NATS_SUBJECT_PREFIX: '',
    EVENTS_STREAM: 'GATEHOUSE_EVENTS',
    PUBLIC_URL: gatewayUrl,
    LOG_LEVEL: env.CHAOS_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: '0',
  };
  const service = (name: Exclude<ProcessName, 'gateway'>, extra: Record<string, string> = {}) =>
    new ManagedProcess(
      name,
      `services/${name}/src/main.ts`,
      {
        ...common,
        PORT: String(ports[name]),
        DATABASE_URL: deps.postgres.databaseUrl(`gatehouse_${name}`),
        PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
        ...extra,
      },
      `http://127.0.0.1:${ports[name]}`,
      root,
      logDir,
    );
  const processes: Record<ProcessName, ManagedProcess> = {
    identity: service('identity', {
      OAUTH_SIGNING_KEYS: oauth.signingKeyPem,
      OAUTH_COOKIE_KEYS: oauth.cookieKey,
      SSO_SECRET_KEY: sso.secretKey,
      MFA_ENCRYPTION_KEY: freshMfaKey(),
      SAML_SP_PRIVATE_KEY: sso.samlPrivateKeyPem,
      SAML_SP_CERTIFICATE: sso.samlCertificatePem,
      SMTP_URL: smtpUrl,
      API_KEY_MAX_PER_USER: '1000',
    }),
    organization: service('organization', { SMTP_URL: smtpUrl }),
    project: service('project'),
    gateway: new ManagedProcess(
      'gateway',
      'gateway/src/main.ts',
      {
        ...common,
        GATEWAY_PORT: String(ports.gateway),
        REDIS_URL: deps.redis.url,
        PRINCIPAL_PRIVATE_KEY: keys.privateKeyPem,
        IDENTITY_URL: `http://127.0.0.1:${ports.identity}`,
        ORGANIZATION_URL: `http://127.0.0.1:${ports.organization}`,
        PROJECT_URL: `http://127.0.0.1:${ports.project}`,
        UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
        // The workload is many clients from four addresses: the per-IP and per-user limits are not under test.
        RATE_LIMIT_IP_MAX: UNLIMITED,
        RATE_LIMIT_CREDENTIAL_MAX: UNLIMITED,
        RATE_LIMIT_SIGN_IN_MAX: UNLIMITED,
        RATE_LIMIT_SIGN_UP_MAX: UNLIMITED,
        RATE_LIMIT_EMAIL_MAX: UNLIMITED,
        RATE_LIMIT_API_KEY_CREATE_MAX: UNLIMITED,
      },
      gatewayUrl,
      root,
      logDir,
    ),
  };
  cleanups.push(() => closeAll(processes));
  // Identity first: it creates the event stream the others consume from.
  processes.identity.start();
  await waitReady(`${processes.identity.url}/readyz`);
  processes.organization.start();
  processes.project.start();
  await Promise.all([waitReady(`${processes.organization.url}/readyz`), waitReady(`${processes.project.url}/readyz`)]);
  processes.gateway.start();
  await waitReady(`${gatewayUrl}/readyz`);
  return { processes, gatewayUrl };
}

interface Harness {
  workload: Workload;
  recorder: Recorder;
  processes: Record<ProcessName, ManagedProcess>;
  check: ConsistencyCheck;
}

/** Clean traffic, the fault held and restored, traffic until clean again (bounded), then the check. */
async function runPhase(fault: Fault | null, { workload, recorder, processes, check }: Harness) {
  const start = Date.now();
  workload.gate.resume();
  await sleep(BASELINE_MS);
  const injected = Date.now();
  let restoring = injected;
  if (fault) {
    console.log(`\n▶ ${fault.name}: injecting, holding ${HOLD_MS / 1000} s`);
    await faultStep(() => fault.inject());
    await sleep(Math.max(0, injected + HOLD_MS - Date.now()));
    restoring = Date.now();
    await faultStep(() => fault.restore()).catch((error: Error) => {
      if (interrupted) throw error;
      console.log(`  restore did not complete: ${error.message}`);
    });
  }
  const restored = Date.now();
  while (fault && Date.now() - restored < AFTER_RESTORE_MAX_MS) {
    await sleep(250);
    const recent = recorder.samples.filter((s) => s.start >= start);
    const clean = !recent.some((s) => s.start > Date.now() - CLEAN_MS && (s.status === null || s.status >= 500));
    if (Date.now() - restored >= CLEAN_MS && clean && recovery(recent, restored) !== null) break;
  }
  workload.gate.pause();
  await workload.gate.idle();
  const end = Date.now();
  const window: PhaseWindow = { start, injected, restoring, restored, end };
  const crashes = Object.values(processes).flatMap((p) =>
    p.crashesSince(start).map((exit) => `${p.name} (exit ${exit.code ?? exit.signal} at +${exit.at - injected} ms)`),
  );
  const phaseWrites = workload.writes.filter((write) => write.at >= start && write.at < end);
  const result = await check.run(workload.writes, phaseWrites);
  const report = phaseReport(fault, window, recorder.samples, phaseWrites, result, crashes, UPSTREAM_TIMEOUT_MS);
  return { window, report };
}

async function main(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'gh-chaos-'));
  cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));
  const logDir = join(root, '.data/chaos');
  console.log(
    `Gatehouse chaos run (${SHORT ? 'short' : 'full'}): each fault held ${HOLD_MS / 1000} s; process logs in .data/chaos/`,
  );

  const deps = await startDependencies();
  cleanups.push(() => destroyDependencies(deps));
  const smtp = new TestSmtpServer();
  const smtpUrl = await smtp.start();
  cleanups.push(() => smtp.stop());
  const { processes, gatewayUrl } = await startSystem(deps, smtpUrl, workDir, logDir);
  console.log(
    `system ready at ${gatewayUrl} (PostgreSQL :${deps.postgres.port}, Redis :${deps.redis.port}, NATS :${deps.nats.port})`,
  );

  const recorder = new Recorder();
  const workload = new Workload(
    {
      gatewayUrl,
      addresses: ADDRESSES,
      accountWorkers: Number(env.CHAOS_WORKERS ?? 5),
      timeoutMs: UPSTREAM_TIMEOUT_MS + 10_000,
      maxRequests: 500_000,
      smtp,
    },
    recorder,
  );
  cleanups.push(() => workload.stop());
  // Cleanup runs backwards: the processes stop first (no restarts), so the workers' requests end fast.
  cleanups.push(() => closeAll(processes));
  const check = new ConsistencyCheck(deps.postgres, deps.nats.url, gatewayUrl);
  workload.start();

  const reports: PhaseReport[] = [];
  const windows: Array<PhaseWindow & { name: string }> = [];
  for (const fault of [null, ...faultPlan(processes, deps, SHORT)]) {
    const { window, report } = await runPhase(fault, { workload, recorder, processes, check });
    windows.push({ name: report.name, ...window });
    reports.push(report);
    printPhase(report);
  }
  await workload.stop();
  // Every request of the run and the phases' times, for a closer look.
  writeFileSync(join(logDir, 'samples.json'), JSON.stringify({ phases: windows, samples: recorder.samples }));
  printSummary(reports, UPSTREAM_TIMEOUT_MS);
  const failed = reports.filter((report) => report.failures.length > 0);
  console.log(
    failed.length === 0
      ? '\nchaos: every fault within the bar'
      : `\nchaos: ${failed.length} of ${reports.length} phases missed the bar (${failed.map((r) => r.name).join(', ')})`,
  );
  return failed.length === 0 ? 0 : 1;
}

// The whole run is bounded too: a hang anywhere ends it (cleaned up, failed) rather than CI waiting forever.
const DEADLINE_MS = Number(env.CHAOS_DEADLINE_MS ?? (SHORT ? 10 : 40) * 60_000);
setTimeout(() => {
  console.error(`\nchaos run exceeded ${DEADLINE_MS / 60_000} min: stopping and cleaning up`);
  interrupted = true;
  void cleanup().finally(() => process.exit(2));
}, DEADLINE_MS).unref();

// Ctrl-C reaches this process more than once (from the terminal and relayed by tsx): clean up once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping and cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  if (!interrupted) console.error('chaos run could not complete:', error);
} finally {
  await cleanup();
}
process.exit(code);
