/**
 * `pnpm bench`: what the gateway costs, measured side by side in one run.
 *
 * The system runs as real processes (as `pnpm start` runs it) on bench-only ports and databases;
 * autocannon runs in a process of its own. Each target gets the same connections and duration:
 *   1. GET /api/user/me with a PAT through the gateway
 *   2. the same request sent straight to identity with a valid gateway-signed principal
 *   3. a bare fastify hello-world (the floor)
 *   4. projects list and create, through the gateway and straight to the project service
 *   5. GET /api/user/me with an OAuth access token (JWT verified at the gateway) vs. the PAT
 * and the ratios between them are printed; then
 *   6. sign-ins per second: password, SAML and OIDC (bench/sign-ins.ts), people signing in concurrently.
 *   7. SCIM provisioning (bench/scim.ts): users/s, a 5,000-member group, filtered lists via the gateway
 *      and direct to identity, and their query plans.
 *   8. the audit log (bench/audit.ts): events/s ingested, and a 1,000,000-record export's throughput and the
 *      audit process's peak memory beside its size before.
 * Beside them the floors (bench/floor.ts), what the same work costs with nothing in the way: floor:service
 * (bare fastify + pg), floor:proxy (bare @fastify/http-proxy) in front of hello-world and of floor:service,
 * a second Gatehouse gateway whose project upstream is hello-world, and raw argon2 verifications; the
 * issue-21 ratios against their goals (the gateway's added p99 from an open-loop run at a fixed rate,
 * bench/fixed-rate.ts); each process's RSS and time from start to healthy. Beside each target's
 * latencies, the CPU time per request of each process it runs through (bench/process-cpu.ts, from /proc: it holds
 * where req/s moves with the machine's other load), and beside each goal's throughput ratio its CPU estimate.
 * The numbers go to .data/bench.json (the run before: .data/bench.previous.json); `pnpm bench --compare` prints
 * them side by side. `BENCH_ONLY=requests|floors|sign-ins|scim|audit pnpm bench` runs only that part (floors: the
 * floors, their Gatehouse counterparts and the password sign-in against argon2); BENCH_DURATION (seconds, 8) and
 * BENCH_WARMUP (3) shorten each measured run and its warm-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrincipalSigner, natsConnectionOptions } from '@gatehouse/service-kit';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { PRODUCTION_NODE_FLAGS } from '../infra/build/node-flags.js';
import { localPrincipalKeys } from '../infra/local/keys.js';
import { IdentityConfig } from '../services/identity/src/config.js';
import { auditBench } from './audit.js';
import type { FixedRateReport } from './fixed-rate.js';
import { pidListeningOn, withCpuPerUnit } from './process-cpu.js';
import { newReport, printComparison, residentMb, saveReport } from './results.js';
import { scimBench } from './scim.js';
import { type FlowResult, measureFlow, passwordFlow, printSignIns, ssoBench } from './sign-ins.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
/** Untimed load first, so every target is measured with a warmed JIT and connection pools. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
// Every port is a bench port, so a running `pnpm start` (4001-4006, 8080) is never touched.
const PORTS = {
  gateway: 18080,
  identity: 18001,
  organization: 18002,
  project: 18003,
  console: 18004,
  audit: 18005,
  billing: 18006,
  gatewayToHello: 18081,
  proxyToFloor: 18996,
  proxyToHello: 18997,
  floor: 18998,
  hello: 18999,
};
const local = (port: number) => `http://127.0.0.1:${port}`;
const GATEWAY = `http://127.0.0.1:${PORTS.gateway}`;
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const run = Date.now().toString(36);
const PASSWORD = 'a-long-secure-passphrase';
/** Each part runs unless BENCH_ONLY names another. */
const runs = (part: 'requests' | 'floors' | 'sign-ins' | 'scim' | 'audit') =>
  !process.env.BENCH_ONLY || process.env.BENCH_ONLY === part;
const report = newReport(root, CONNECTIONS, DURATION);
/** Every process whose memory is reported: a bench child by its pid, a Gatehouse process by its /metrics. */
const processes: Array<{ name: string; port: number; pid?: number }> = [];
/** Identity's argon2 parameters: its environment's (the bench passes its own to identity), else its config's defaults. */
const identityArgon2 = (key: 'ARGON2_MEMORY_KIB' | 'ARGON2_TIME_COST' | 'ARGON2_PARALLELISM') =>
  Number(process.env[key] ?? (IdentityConfig.properties[key] as { default?: number }).default);
const ARGON2 = {
  memoryCost: identityArgon2('ARGON2_MEMORY_KIB'),
  timeCost: identityArgon2('ARGON2_TIME_COST'),
  parallelism: identityArgon2('ARGON2_PARALLELISM'),
};
/** Ours, so the bench can seal the OIDC connection's client secret as identity would. */
const SSO_SECRET_KEY = randomBytes(32).toString('base64');

function databaseUrl(service: string): string {
  const url = new URL(SERVER);
  url.pathname = `/gatehouse_bench_${service}`;
  return url.toString();
}

const children: ChildProcess[] = [];
function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became healthy`);
}

/** Waits for `url`, and records how long `name` took from `since` (its start) to answering it. */
async function healthy(name: string, url: string, since: number): Promise<void> {
  await waitFor(url);
  report.startupMs[name] = Math.round(performance.now() - since);
}

async function sampleRss(when: 'warmMb' | 'endMb'): Promise<void> {
  for (const target of processes) {
    const mb = await residentMb(target);
    if (mb !== undefined) report.rss[target.name] = { ...report.rss[target.name], [when]: Math.round(mb * 10) / 10 };
  }
}

/** Billing's plans with no limit on Free: the bench creates far more projects than Free allows. */
async function unlimitedPlansFile(): Promise<string> {
  type Plans = { tiers: Array<{ id: string; entitlements: Record<string, unknown> }> };
  const plans = JSON.parse(await readFile(join(root, 'services/billing/plans.json'), 'utf8')) as Plans;
  for (const tier of plans.tiers)
    if (tier.id === 'free') Object.assign(tier.entitlements, { maxProjects: null, maxMembers: null });
  const file = join(root, '.data/bench-plans.json');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(plans));
  return file;
}

interface Result {
  name: string;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests completed in the measured run: what the CPU time is divided by. */
  requests: number;
  /** CPU µs per request of each process the target runs through (none found, or no /proc: left out). */
  cpuUsPerRequest: Record<string, number>;
}

type Target = { method?: string; headers?: Record<string, string>; body?: string };

interface Report {
  requests: { average: number; total: number };
  latency: { average: number; p50: number; p99: number };
  errors: number;
  non2xx: number;
}

async function autocannon(url: string, options: Target, seconds: number): Promise<Report> {
  const args = [require.resolve('autocannon/autocannon.js'), '-j', '-c', String(CONNECTIONS), '-d', String(seconds)];
  if (options.method) args.push('-m', options.method);
  for (const [key, value] of Object.entries(options.headers ?? {})) args.push('-H', `${key}=${value}`);
  if (options.body) args.push('-b', options.body);
  args.push(url);
  return jsonFromProcess<Report>(args, 'ignore');
}

/** Runs node with `args` in a process of its own (so its load never shares our event loop) and parses what it printed. */
async function jsonFromProcess<T>(args: string[], stderr: 'ignore' | 'inherit'): Promise<T> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', stderr] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(output) as T;
}

/**
 * Untimed load first (JIT, pools, caches warm), then the measured window, with the CPU time of each process in
 * `servingPids` (by name) read just before and after it.
 */
async function cannon(
  target: TargetSpec,
  options: Target,
  servingPids: Record<string, number | undefined>,
): Promise<Result> {
  await autocannon(target.url, options, WARMUP);
  const { result: report, cpuUsPerUnit } = await withCpuPerUnit(
    servingPids,
    () => autocannon(target.url, options, DURATION),
    (measured) => measured.requests.total,
  );
  return {
    name: target.name,
    rps: report.requests.average,
    mean: report.latency.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    errors: report.errors,
    non2xx: report.non2xx,
    requests: report.requests.total,
    cpuUsPerRequest: cpuUsPerUnit,
  };
}

async function json(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${GATEWAY}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { res, body: (await res.json()) as { data: Record<string, unknown> & Array<Record<string, unknown>> } };
}

/** A client-credentials token of a confidential app the bench user owns (acts for that user). */
async function oauthAccessToken(cookie: string): Promise<string> {
  const app = await json(
    'POST',
    '/api/user/oauth-apps',
    {
      name: 'bench',
      type: 'confidential',
      redirectUris: ['https://bench.example.com/cb'],
      allowedScopes: ['user:read'],
    },
    { cookie },
  );
  const basic = Buffer.from(`${app.body.data.id}:${app.body.data.clientSecret}`).toString('base64');
  const token = await fetch(`${GATEWAY}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=user%3Aread',
  });
  return ((await token.json()) as { access_token: string }).access_token;
}

async function main() {
  const keys = await localPrincipalKeys(join(root, '.data/keys'));
  const env = {
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(PORTS.gateway),
    IDENTITY_PORT: String(PORTS.identity),
    ORGANIZATION_PORT: String(PORTS.organization),
    PROJECT_PORT: String(PORTS.project),
    AUDIT_PORT: String(PORTS.audit),
    CONSOLE_PORT: String(PORTS.console),
    BILLING_PORT: String(PORTS.billing),
    PUBLIC_URL: GATEWAY,
    IDENTITY_DATABASE_URL: databaseUrl('identity'),
    ORGANIZATION_DATABASE_URL: databaseUrl('organization'),
    PROJECT_DATABASE_URL: databaseUrl('project'),
    AUDIT_DATABASE_URL: databaseUrl('audit'),
    BILLING_DATABASE_URL: databaseUrl('billing'),
    BILLING_PLANS_FILE: await unlimitedPlansFile(),
    NATS_SUBJECT_PREFIX: `bench${run}.`,
    EVENTS_STREAM: `BENCH_${run.toUpperCase()}`,
    RATE_LIMIT_KEY_PREFIX: `gh:bench:${run}`,
    RATE_LIMIT_IP_MAX: '1000000000',
    RATE_LIMIT_CREDENTIAL_MAX: '1000000000',
    RATE_LIMIT_SIGN_IN_MAX: '1000000000',
    RATE_LIMIT_SIGN_UP_MAX: '1000000000',
    RATE_LIMIT_SSO_START_MAX: '1000000000',
    RATE_LIMIT_SSO_FINISH_MAX: '1000000000',
    RATE_LIMIT_MFA_IP_MAX: '1000000000',
    RATE_LIMIT_MFA_MAX: '1000000000',
    RATE_LIMIT_PASSKEY_MAX: '1000000000',
    RATE_LIMIT_SCIM_IP_MAX: '1000000000',
    SSO_SECRET_KEY,
    MFA_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
    MAIL_OUTBOX_DIR: '.data/bench-mail',
  };
  const started = performance.now();
  start(['--conditions=source', '--import', 'tsx', 'infra/local/start.ts'], env);
  const hello = start(['--conditions=source', '--import', 'tsx', 'bench/hello.ts'], { PORT: String(PORTS.hello) });
  // The gateway's readiness is its own; each service reports its own. All count from start.ts's start.
  const gatehouse = ['gateway', 'identity', 'organization', 'project', 'audit', 'billing'] as const;
  await Promise.all([
    ...gatehouse.map((name) => healthy(name, `${local(PORTS[name])}/readyz`, started)),
    healthy('hello', `${local(PORTS.hello)}/hello`, started),
  ]);
  processes.push(...gatehouse.map((name) => ({ name, port: PORTS[name] })), {
    name: P.hello,
    port: PORTS.hello,
    pid: hello.pid,
  });

  const email = `bench-${run}@example.com`;
  await json('POST', '/api/auth/sign-up/email', { email, password: PASSWORD, name: 'Bench User' });
  const signIn = await json('POST', '/api/auth/sign-in/email', { email, password: PASSWORD });
  const cookie = (signIn.res.headers.getSetCookie()[0] ?? '').split(';')[0]!;
  const created = await json(
    'POST',
    '/api/auth/api-key/create',
    { name: 'bench', scopes: ['user:read', 'projects:read', 'projects:write'] },
    { cookie },
  );
  const apiKey = created.body.data.key as string;
  const accessToken = await oauthAccessToken(cookie);
  const me = await json('GET', '/api/user/me', undefined, { 'x-api-key': apiKey });
  const organizations = await json('GET', '/api/user/organizations', undefined, { 'x-api-key': apiKey });
  const organizationId = organizations.body.data[0]!.id as string;
  for (let i = 0; i < 50; i++)
    await json(
      'POST',
      `/api/user/organizations/${organizationId}/projects`,
      { name: `Seed ${i}` },
      { 'x-api-key': apiKey },
    );

  // The direct targets get exactly what the gateway would send: a freshly signed principal.
  const signer = await createPrincipalSigner(keys.privateKeyPem);
  const principal = {
    kind: 'api_key' as const,
    userId: me.body.data.id as string,
    credentialId: created.body.data.id as string,
    scopes: ['user:read' as const, 'projects:read' as const, 'projects:write' as const],
    organizationId: null,
    role: 'user' as const,
  };
  const signed = async () => ({
    'x-gatehouse-principal': await signer.sign({ principal, clientIp: '127.0.0.1' }),
  });
  const projectsPath = `/api/user/organizations/${organizationId}/projects`;
  const body = JSON.stringify({ name: 'Bench project' });
  const jsonHeaders = { 'content-type': 'application/json' };
  if (runs('requests') || runs('floors')) await startFloors(env, keys.privateKeyPem, me.body.data.id as string);

  if (runs('requests') || runs('floors'))
    console.log(
      `\nGatehouse bench — ${CONNECTIONS} connections; a ${WARMUP}s warm-up pass over all targets, then per target ${WARMUP}s warm-up + ${DURATION}s measured; one run, same machine; cpu µs/req: each process's utime+stime over the measured run ÷ requests completed\n`,
    );
  const apiKeyHeaders = async () => ({ headers: { 'x-api-key': apiKey } });
  const withPrincipal = async (extra: Target = {}) => ({
    ...extra,
    headers: { ...(await signed()), ...extra.headers },
  });
  const none = async () => ({});
  const post = async () => ({ method: 'POST', body, headers: jsonHeaders });
  // servedBy: the processes each request runs through, the proxying one first. The gateway's credential cache
  // answers the PAT and the Bearer token after the first request, so identity serves only the /me behind them.
  const targets: TargetSpec[] = [
    {
      name: T.gatewayMe,
      url: `${GATEWAY}/api/user/me`,
      options: apiKeyHeaders,
      servedBy: [P.gateway, P.identity],
      floors: true,
    },
    {
      name: T.directMe,
      url: `${local(PORTS.identity)}/api/user/me`,
      options: () => withPrincipal(),
      servedBy: [P.identity],
      floors: true,
    },
    {
      name: T.bearerMe,
      url: `${GATEWAY}/api/user/me`,
      options: async () => ({ headers: { authorization: `Bearer ${accessToken}` } }),
      servedBy: [P.gateway, P.identity],
    },
    { name: T.hello, url: `${local(PORTS.hello)}/hello`, options: none, servedBy: [P.hello], floors: true },
    { name: T.gatewayList, url: `${GATEWAY}${projectsPath}`, options: apiKeyHeaders, servedBy: [P.gateway, P.project] },
    {
      name: T.directList,
      url: `${local(PORTS.project)}${projectsPath}`,
      options: () => withPrincipal(),
      servedBy: [P.project],
      floors: true,
    },
    {
      name: T.gatewayCreate,
      url: `${GATEWAY}${projectsPath}`,
      options: async () => ({ method: 'POST', body, headers: { 'x-api-key': apiKey, ...jsonHeaders } }),
      servedBy: [P.gateway, P.project],
    },
    {
      name: T.directCreate,
      url: `${local(PORTS.project)}${projectsPath}`,
      options: () => withPrincipal({ method: 'POST', body, headers: jsonHeaders }),
      servedBy: [P.project],
      floors: true,
    },
    {
      name: T.floorMe,
      url: `${local(PORTS.floor)}/api/user/me`,
      options: none,
      servedBy: [P.floorService],
      floors: true,
    },
    {
      name: T.floorList,
      url: `${local(PORTS.floor)}${projectsPath}`,
      options: none,
      servedBy: [P.floorService],
      floors: true,
    },
    {
      name: T.floorCreate,
      url: `${local(PORTS.floor)}${projectsPath}`,
      options: post,
      servedBy: [P.floorService],
      floors: true,
    },
    {
      name: T.proxyToHello,
      url: `${local(PORTS.proxyToHello)}${projectsPath}`,
      options: none,
      servedBy: [P.proxyToHello, P.hello],
      floors: true,
    },
    {
      name: T.gatewayToHello,
      url: `${local(PORTS.gatewayToHello)}${projectsPath}`,
      options: apiKeyHeaders,
      servedBy: [P.gatewayToHello, P.hello],
      floors: true,
    },
    {
      name: T.proxyToFloorMe,
      url: `${local(PORTS.proxyToFloor)}/api/user/me`,
      options: none,
      servedBy: [P.proxyToFloor, P.floorService],
      floors: true,
    },
  ];
  if (runs('requests') || runs('floors')) await requestTargets(targets.filter((t) => runs('requests') || t.floors));
  if (runs('sign-ins') || runs('floors')) await signIns(run, organizationId, runs('sign-ins'));
  if (runs('scim'))
    await scimBench({
      gateway: GATEWAY,
      identity: `http://127.0.0.1:${PORTS.identity}`,
      identityDatabaseUrl: databaseUrl('identity'),
      organizationId,
      cookie,
      sign: (scimPrincipal) => signer.sign({ principal: scimPrincipal as never, clientIp: '127.0.0.1' }),
    });
  if (runs('audit'))
    await auditBench({
      gateway: GATEWAY,
      auditDatabaseUrl: databaseUrl('audit'),
      organizationId,
      userId: me.body.data.id as string,
      cookie,
      natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      subjectPrefix: `bench${run}.`,
    });
  await sampleRss('endMb');
  printProcesses();
  const previous = await saveReport(root, report);
  console.log('\nwritten to .data/bench.json');
  if (process.argv.includes('--compare')) printComparison(report, previous);
}

/**
 * A request measured; `servedBy`: the processes it runs through (by name, as in `processes`), whose CPU time per
 * request is measured; `floors`: a floor, or the request a floor stands beside: what `BENCH_ONLY=floors` runs.
 */
type TargetSpec = {
  name: string;
  url: string;
  options: () => Promise<Target>;
  servedBy: string[];
  floors?: true;
};

/** Process names: the rows of the processes table, the labels of the CPU column. */
const P = {
  gateway: 'gateway',
  identity: 'identity',
  project: 'project',
  hello: 'hello',
  floorService: 'floor:service',
  proxyToHello: 'floor:proxy → hello',
  proxyToFloor: 'floor:proxy → floor:service',
  gatewayToHello: 'gateway → hello',
  /** This process: raw argon2 verifications run in its libuv pool. */
  bench: 'bench',
} as const;

/** Target names: the table's rows, the keys of bench.json's `targets`. */
const T = {
  gatewayMe: 'PAT GET /api/user/me via gateway',
  directMe: 'GET /api/user/me direct to identity',
  bearerMe: 'OAuth Bearer GET /api/user/me via gateway',
  hello: 'bare fastify hello-world',
  gatewayList: 'PAT GET projects via gateway',
  directList: 'GET projects direct to project',
  gatewayCreate: 'PAT POST projects via gateway',
  directCreate: 'POST projects direct to project',
  floorMe: 'floor:service GET /api/user/me',
  floorList: 'floor:service GET projects',
  floorCreate: 'floor:service POST projects',
  proxyToHello: 'floor:proxy → hello, GET projects path',
  gatewayToHello: 'PAT GET projects via gateway → hello',
  proxyToFloorMe: 'floor:proxy → floor:service GET /me',
};

/**
 * The issue-21 goals: each Gatehouse request's throughput over its floor's, in the same run. `process` names the
 * process the goal is about in each (the proxying one, or the service): its floor's CPU per request over its own is
 * the CPU estimate of the same ratio, which holds when other load on the machine moves req/s.
 */
const GOALS = [
  {
    name: 'gateway → hello / floor:proxy → hello',
    of: T.gatewayToHello,
    over: T.proxyToHello,
    process: { of: P.gatewayToHello, over: P.proxyToHello },
    min: 0.75,
  },
  {
    name: '/me direct / floor:service',
    of: T.directMe,
    over: T.floorMe,
    process: { of: P.identity, over: P.floorService },
    min: 0.6,
  },
  {
    name: 'projects list direct / floor:service',
    of: T.directList,
    over: T.floorList,
    process: { of: P.project, over: P.floorService },
    min: 0.5,
  },
  {
    name: 'projects create direct / floor:service',
    of: T.directCreate,
    over: T.floorCreate,
    process: { of: P.project, over: P.floorService },
    min: 0.5,
  },
  {
    name: 'PAT /me via gateway / floor:proxy → floor:service',
    of: T.gatewayMe,
    over: T.proxyToFloorMe,
    process: { of: P.gateway, over: P.proxyToFloor },
    min: 0.6,
  },
];
const RSS_GOAL_MB = 100;

/** Records and prints one issue-21 goal: `value` against its bound. */
function recordGoal(name: string, value: number, bound: { min: number } | { max: number; unit: string }): void {
  const met = 'min' in bound ? value >= bound.min : value <= bound.max;
  const goal = 'min' in bound ? `≥ ${bound.min}` : `≤ ${bound.max} ${bound.unit}`;
  report.ratios[name] = { value: Math.round(value * 1000) / 1000, goal, met };
  console.log(
    `  ${name.padEnd(52)} ${value.toFixed(2).padStart(7)}  goal ${goal.padEnd(9)} ${met ? 'met' : 'NOT met'}`,
  );
}

/**
 * Records and prints a goal's CPU estimate: the floor process's CPU per request over the Gatehouse process's, the
 * throughput ratio those two processes would reach where each is bound by its CPU; "n/a" without /proc.
 */
function recordCpuEstimate(
  goal: { name: string; min: number; process: { of: string; over: string } },
  ofUs: number | undefined,
  overUs: number | undefined,
): void {
  const label = '  its CPU estimate (CPU µs each, floor ÷ ours)';
  const from = `(${goal.process.over} ${overUs ?? 'n/a'} µs ÷ ${goal.process.of} ${ofUs ?? 'n/a'} µs)`;
  if (ofUs === undefined || overUs === undefined || ofUs === 0) {
    console.log(`  ${label.padEnd(52)} ${'n/a'.padStart(7)}  ${from}`);
    return;
  }
  const value = overUs / ofUs;
  const goalText = `≥ ${goal.min}`;
  const met = value >= goal.min;
  report.cpuRatios[goal.name] = { value: Math.round(value * 1000) / 1000, goal: goalText, met, ofUs, overUs };
  console.log(
    `  ${label.padEnd(52)} ${value.toFixed(2).padStart(7)}  goal ${goalText.padEnd(9)} ${(met ? 'met' : 'NOT met').padEnd(7)} ${from}`,
  );
}

/** A target's CPU column: each process it runs through and its CPU µs per request ("n/a": not found, or no /proc). */
function cpuColumn(result: Result, servedBy: string[]): string {
  return servedBy.map((name) => `${name} ${result.cpuUsPerRequest[name] ?? 'n/a'}`).join(', ');
}

/** Each process's pid: a bench child's own, a process start.ts started found by the port it listens on. */
async function processPids(): Promise<Map<string, number | undefined>> {
  const pids = new Map<string, number | undefined>();
  for (const { name, port, pid } of processes) pids.set(name, pid ?? (await pidListeningOn(port)));
  return pids;
}

/** The floors and a second gateway whose project upstream is hello-world; one after another, so none competes with another's start. */
async function startFloors(env: Record<string, string>, privateKeyPem: string, userId: string): Promise<void> {
  const floor = ['--conditions=source', '--import', 'tsx', 'bench/floor.ts'];
  type Floor = { name: string; port: number; args: string[]; env: Record<string, string>; health: string };
  const specs: Floor[] = [
    {
      name: P.floorService,
      port: PORTS.floor,
      args: floor,
      env: { FLOOR: 'service', USER_ID: userId, ...pick(env, 'IDENTITY_DATABASE_URL', 'PROJECT_DATABASE_URL') },
      health: '/api/user/me',
    },
    {
      name: P.proxyToHello,
      port: PORTS.proxyToHello,
      args: floor,
      env: { FLOOR: 'proxy', UPSTREAM: local(PORTS.hello) },
      health: '/hello',
    },
    {
      name: P.proxyToFloor,
      port: PORTS.proxyToFloor,
      args: floor,
      env: { FLOOR: 'proxy', UPSTREAM: local(PORTS.floor) },
      health: '/api/user/me',
    },
    {
      // The same gateway, the bench's identity resolving its credentials, but hello-world as the project service.
      name: P.gatewayToHello,
      port: PORTS.gatewayToHello,
      // Compiled, as start.ts runs the bench's own gateway (pnpm bench builds first).
      args: [...PRODUCTION_NODE_FLAGS, 'gateway/dist/src/main.js'],
      env: {
        ...env,
        GATEWAY_PORT: String(PORTS.gatewayToHello),
        PRINCIPAL_PRIVATE_KEY: privateKeyPem,
        IDENTITY_URL: local(PORTS.identity),
        ORGANIZATION_URL: local(PORTS.organization),
        PROJECT_URL: local(PORTS.hello),
        AUDIT_URL: local(PORTS.audit),
        BILLING_URL: local(PORTS.billing),
        CONSOLE_URL: local(PORTS.console),
      },
      health: '/readyz',
    },
  ];
  for (const spec of specs) {
    const started = performance.now();
    const child = start(spec.args, { PORT: String(spec.port), ...spec.env });
    processes.push({ name: spec.name, port: spec.port, pid: child.pid });
    await healthy(spec.name, `${local(spec.port)}${spec.health}`, started);
  }
}

function pick(env: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, env[key] ?? '']));
}

function printProcesses(): void {
  console.log(`\nprocesses — start to healthy, RSS after the warm-up pass and at the end (goal ≤ ${RSS_GOAL_MB} MB)`);
  for (const { name } of processes) {
    const rss = report.rss[name] ?? {};
    const mb = (value?: number) => (value === undefined ? '—' : `${value.toFixed(1)} MB`).padEnd(10);
    const over = Math.max(rss.warmMb ?? 0, rss.endMb ?? 0) > RSS_GOAL_MB ? 'over goal' : '';
    console.log(
      `  ${name.padEnd(30)} ${`${report.startupMs[name] ?? '—'} ms`.padEnd(10)} ${mb(rss.warmMb)} ${mb(rss.endMb)} ${over}`,
    );
  }
  console.log(
    '  (the Gatehouse services count from start.ts; they run the JavaScript pnpm build compiled, the floors run under tsx)',
  );
}

async function requestTargets(targets: TargetSpec[]) {
  // One untimed pass over every target first, so JIT, pools and caches are warm for all of them
  // and the order targets are measured in does not decide which looks fastest (it did: the first
  // measured target came out ~1.5x slower than the same request measured later).
  for (const target of targets) await autocannon(target.url, await target.options(), WARMUP);
  await sampleRss('warmMb');
  const pids = await processPids();
  const servingPids = (target: TargetSpec) => Object.fromEntries(target.servedBy.map((name) => [name, pids.get(name)]));
  const results: Result[] = [];
  // Options are made per run: the direct targets' signed principals live 30 s.
  for (const target of targets) results.push(await cannon(target, await target.options(), servingPids(target)));

  const pad = (value: string, width: number) => value.padEnd(width);
  console.log(
    `${pad('target', 44)} ${pad('req/s', 9)} ${pad('mean ms', 9)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('errors/non-2xx', 15)} cpu µs/req`,
  );
  for (const [index, r] of results.entries()) {
    const columns = [pad(r.rps.toFixed(0), 9), pad(r.mean.toFixed(2), 9), pad(String(r.p50), 8), pad(String(r.p99), 8)];
    const cpu = cpuColumn(r, targets[index]?.servedBy ?? []);
    console.log(`${pad(r.name, 44)} ${columns.join(' ')} ${pad(`${r.errors}/${r.non2xx}`, 15)} ${cpu}`);
    const { name, ...measured } = r;
    report.targets[name] = measured;
  }
  const by = new Map(results.map((r) => [r.name, r]));
  // Mean latency is a float; a ratio of integer-millisecond percentiles of a ~0 ms target means nothing.
  const ratio = (label: string, of: string, over: string) => {
    const [a, b] = [by.get(of), by.get(over)];
    if (a && b)
      console.log(
        `  ${label.padEnd(41)} ${(a.rps / b.rps).toFixed(2)}x the throughput, ${(a.mean / b.mean).toFixed(2)}x the mean latency (+${(a.mean - b.mean).toFixed(2)} ms)`,
      );
  };
  console.log('\nratios');
  ratio('/me via gateway / direct to identity:', T.gatewayMe, T.directMe);
  ratio('/me OAuth Bearer / PAT, both via gateway:', T.bearerMe, T.gatewayMe);
  ratio('/me direct to identity / hello-world:', T.directMe, T.hello);
  ratio('/me via gateway / hello-world:', T.gatewayMe, T.hello);
  ratio('projects list via gateway / direct:', T.gatewayList, T.directList);
  ratio('projects create via gateway / direct:', T.gatewayCreate, T.directCreate);
  console.log(
    "\nagainst the floors (issue 21 goals; throughput ratios; beneath each its CPU estimate: the floor process's CPU µs/req over ours)",
  );
  for (const goal of GOALS) {
    const [a, b] = [by.get(goal.of), by.get(goal.over)];
    if (!a || !b) continue;
    recordGoal(goal.name, a.rps / b.rps, { min: goal.min });
    recordCpuEstimate(goal, a.cpuUsPerRequest[goal.process.of], b.cpuUsPerRequest[goal.process.over]);
  }
  const [gateway, proxy] = [by.get(T.gatewayToHello), by.get(T.proxyToHello)];
  const [gatewayTarget, proxyTarget] = [T.gatewayToHello, T.proxyToHello].map((n) => targets.find((t) => t.name === n));
  if (gateway && proxy && gatewayTarget && proxyTarget) {
    console.log(`  (at saturation the p99s differ by ${gateway.p99 - proxy.p99} ms: queueing, not the added work)`);
    await latencyAdded(gatewayTarget, proxyTarget, Math.max(1, Math.floor(gateway.rps / 4)));
  }
}

/**
 * The latency the gateway adds, measured where neither side queues: both at the same fixed rate, open loop
 * (bench/fixed-rate.ts, after WARMUP seconds at the same rate), one after the other; p99 beside p99. The rate is a
 * quarter of what the gateway sustained closed loop: the generator, hello-world and Redis share the machine's cores
 * with it, and at half its queue grew.
 */
async function latencyAdded(gateway: TargetSpec, proxy: TargetSpec, rate: number): Promise<void> {
  const floor = await fixedRate(proxy, rate);
  const ours = await fixedRate(gateway, rate);
  for (const [name, r] of [
    [proxy.name, floor],
    [gateway.name, ours],
  ] as const) {
    console.log(
      `  at ${rate} req/s: ${name.padEnd(40)} p50 ${r.p50Ms} ms, p90 ${r.p90Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms (${r.errors}/${r.non2xx} errors/non-2xx)`,
    );
    report.targets[`${name} at ${rate} req/s`] = {
      rps: r.completed / DURATION,
      mean: r.meanMs,
      p50: r.p50Ms,
      p99: r.p99Ms,
      errors: r.errors,
      non2xx: r.non2xx,
      requests: r.completed,
    };
  }
  recordGoal('gateway → hello p99 added at a fixed rate (ms)', ours.p99Ms - floor.p99Ms, { max: 2, unit: 'ms' });
}

/** One open-loop run of `target` at `rate` requests per second, in a process of its own. */
async function fixedRate(target: TargetSpec, rate: number): Promise<FixedRateReport> {
  const options = await target.options();
  const run = { url: target.url, rate, seconds: DURATION, warmupSeconds: WARMUP, connections: CONNECTIONS, ...options };
  return jsonFromProcess<FixedRateReport>(
    ['--import', 'tsx', join(root, 'bench/fixed-rate.ts'), JSON.stringify(run)],
    'inherit',
  );
}

/**
 * Password, SAML and OIDC sign-ins (password only without `withSso`), each by CONNECTIONS people at once: a
 * warm-up (SSO's first sign-ins create the accounts), then measured; then raw argon2 verifications, the floor.
 */
async function signIns(run: string, organizationId: string, withSso: boolean) {
  // One account per connection: people sign in, not one person ten times at once (that would queue
  // every sign-in on the one account's row, which is not what argon2 costs).
  const emails = Array.from({ length: CONNECTIONS }, (_, person) => `bench-${run}-person-${person}@example.com`);
  for (const email of emails) {
    await json('POST', '/api/auth/sign-up/email', { email, password: PASSWORD, name: 'Bench Person' });
  }
  const sso = withSso
    ? await ssoBench({
        gateway: GATEWAY,
        identityDatabaseUrl: databaseUrl('identity'),
        organizationId,
        ssoSecretKey: SSO_SECRET_KEY,
      })
    : { flows: [], close: async () => undefined };
  const flows = [{ name: 'password sign-in', flow: passwordFlow(GATEWAY, emails, PASSWORD) }, ...sso.flows];
  // The SSO flows' IdPs run in this process with the clients driving them: only Gatehouse's processes are measured.
  const pids = await processPids();
  const signInPids = { [P.gateway]: pids.get(P.gateway), [P.identity]: pids.get(P.identity) };
  const results: FlowResult[] = [];
  try {
    for (const { name, flow } of flows) {
      // Every person's first SSO sign-in creates the account: done before any timing, so what is
      // measured is people signing in again, as the password sign-ins are.
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, person) => flow(person, {})));
      await measureFlow(name, flow, CONNECTIONS, WARMUP);
      const { result, cpuUsPerUnit } = await withCpuPerUnit(
        signInPids,
        () => measureFlow(name, flow, CONNECTIONS, DURATION),
        (measured) => measured.completed,
      );
      results.push({ ...result, cpuUsPerSignIn: cpuUsPerUnit });
    }
  } finally {
    await sso.close();
  }
  printSignIns(
    results,
    `${CONNECTIONS} people signing in at once, each again and again; ${WARMUP}s warm-up + ${DURATION}s measured each`,
  );
  for (const { name, steps: _steps, ...measured } of results) report.signIns[name] = measured;
  const argon2 = await argon2Verifications();
  const { memoryCost, timeCost, parallelism } = ARGON2;
  printSignIns(
    [argon2],
    `raw @node-rs/argon2 verify (m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}), ${CONNECTIONS} at once`,
  );
  const argon2Us = argon2.cpuUsPerSignIn?.[P.bench];
  const { perSecond, mean, p50, p99 } = argon2;
  report.argon2 = {
    perSecond,
    mean,
    p50,
    p99,
    params: ARGON2,
    ...(argon2Us !== undefined && { cpuUsPerVerify: argon2Us }),
  };
  const password = results[0];
  if (!password) return;
  const goal = { name: 'password sign-in / raw argon2 verify', min: 0.8, process: { of: P.identity, over: P.bench } };
  recordGoal(goal.name, password.perSecond / argon2.perSecond, { min: goal.min });
  recordCpuEstimate(goal, password.cpuUsPerSignIn?.[P.identity], argon2Us);
}

/**
 * Argon2id verifications per second at identity's parameters, CONNECTIONS at once, in this process's libuv pool
 * (identity verifies in its own). A password sign-in does one verification, so this is its floor.
 */
async function argon2Verifications() {
  const options = { algorithm: 2 as Algorithm, ...ARGON2 };
  const hashed = await hash(PASSWORD, options);
  const flow = async () => {
    if (!(await verify(hashed, PASSWORD))) throw new Error('argon2 refused the right password');
  };
  await measureFlow('raw argon2 verify', flow, CONNECTIONS, WARMUP);
  const { result, cpuUsPerUnit } = await withCpuPerUnit(
    { [P.bench]: process.pid },
    () => measureFlow('raw argon2 verify', flow, CONNECTIONS, DURATION),
    (measured) => measured.completed,
  );
  return { ...result, cpuUsPerSignIn: cpuUsPerUnit };
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  for (const service of ['identity', 'organization', 'project', 'audit', 'billing']) {
    await client.query(`drop database if exists "gatehouse_bench_${service}" with (force)`);
  }
  await client.end();
  const nc = await connectNats(
    natsConnectionOptions({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' }, 'bench'),
  );
  await (await nc.jetstreamManager()).streams.delete(`BENCH_${run.toUpperCase()}`).catch(() => undefined);
  await nc.close();
}
