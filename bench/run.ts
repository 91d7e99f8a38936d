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
 * `BENCH_ONLY=requests|sign-ins|scim|audit pnpm bench` runs only that part.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrincipalSigner, natsConnectionOptions } from '@gatehouse/service-kit';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { localPrincipalKeys } from '../infra/local/keys.js';
import { auditBench } from './audit.js';
import { scimBench } from './scim.js';
import { type FlowResult, measureFlow, passwordFlow, printSignIns, ssoBench } from './sign-ins.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
/** Untimed load first, so every target is measured with a warmed JIT and connection pools. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PORTS = { gateway: 18080, identity: 18001, organization: 18002, project: 18003, audit: 18005, hello: 18999 };
const GATEWAY = `http://127.0.0.1:${PORTS.gateway}`;
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const run = Date.now().toString(36);
const PASSWORD = 'a-long-secure-passphrase';
/** Each part runs unless BENCH_ONLY names another. */
const runs = (part: 'requests' | 'sign-ins' | 'scim' | 'audit') =>
  !process.env.BENCH_ONLY || process.env.BENCH_ONLY === part;
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
  for (let attempt = 0; attempt < 240; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never became healthy`);
}

interface Result {
  name: string;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

type Target = { method?: string; headers?: Record<string, string>; body?: string };

interface Report {
  requests: { average: number };
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
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(output) as Report;
}

/** Untimed load first (JIT, pools, caches warm), then the measured window. */
async function cannon(name: string, url: string, options: Target = {}): Promise<Result> {
  await autocannon(url, options, WARMUP);
  const report = await autocannon(url, options, DURATION);
  return {
    name,
    rps: report.requests.average,
    mean: report.latency.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    errors: report.errors,
    non2xx: report.non2xx,
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
    PUBLIC_URL: GATEWAY,
    IDENTITY_DATABASE_URL: databaseUrl('identity'),
    ORGANIZATION_DATABASE_URL: databaseUrl('organization'),
    PROJECT_DATABASE_URL: databaseUrl('project'),
    AUDIT_DATABASE_URL: databaseUrl('audit'),
    NATS_SUBJECT_PREFIX: `bench${run}.`,
    EVENTS_STREAM: `BENCH_${run.toUpperCase()}`,
    RATE_LIMIT_KEY_PREFIX: `gh:bench:${run}`,
    RATE_LIMIT_IP_MAX: '1000000000',
    RATE_LIMIT_CREDENTIAL_MAX: '1000000000',
    RATE_LIMIT_SIGN_IN_MAX: '1000000000',
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
  start(['--import', 'tsx', 'infra/local/start.ts'], env);
  start(['--import', 'tsx', 'bench/hello.ts'], { PORT: String(PORTS.hello) });
  // The gateway's readiness is its own; each service reports its own.
  for (const port of [PORTS.gateway, PORTS.identity, PORTS.organization, PORTS.project, PORTS.audit]) {
    await waitFor(`http://127.0.0.1:${port}/readyz`);
  }
  await waitFor(`http://127.0.0.1:${PORTS.hello}/hello`);

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
    'x-gatehouse-principal': await signer.sign({ principal, requestId: 'bench', clientIp: '127.0.0.1' }),
  });
  const projectsPath = `/api/user/organizations/${organizationId}/projects`;
  const body = JSON.stringify({ name: 'Bench project' });
  const jsonHeaders = { 'content-type': 'application/json' };

  if (runs('requests'))
    console.log(
      `\nGatehouse bench — ${CONNECTIONS} connections; a ${WARMUP}s warm-up pass over all targets, then per target ${WARMUP}s warm-up + ${DURATION}s measured; one run, same machine\n`,
    );
  const apiKeyHeaders = async () => ({ headers: { 'x-api-key': apiKey } });
  const withPrincipal = async (extra: Target = {}) => ({
    ...extra,
    headers: { ...(await signed()), ...extra.headers },
  });
  const targets: TargetSpec[] = [
    { name: 'PAT GET /api/user/me via gateway', url: `${GATEWAY}/api/user/me`, options: apiKeyHeaders },
    {
      name: 'GET /api/user/me direct to identity',
      url: `http://127.0.0.1:${PORTS.identity}/api/user/me`,
      options: () => withPrincipal(),
    },
    {
      name: 'OAuth Bearer GET /api/user/me via gateway',
      url: `${GATEWAY}/api/user/me`,
      options: async () => ({ headers: { authorization: `Bearer ${accessToken}` } }),
    },
    { name: 'bare fastify hello-world', url: `http://127.0.0.1:${PORTS.hello}/hello`, options: async () => ({}) },
    { name: 'PAT GET projects via gateway', url: `${GATEWAY}${projectsPath}`, options: apiKeyHeaders },
    {
      name: 'GET projects direct to project',
      url: `http://127.0.0.1:${PORTS.project}${projectsPath}`,
      options: () => withPrincipal(),
    },
    {
      name: 'PAT POST projects via gateway',
      url: `${GATEWAY}${projectsPath}`,
      options: async () => ({ method: 'POST', body, headers: { 'x-api-key': apiKey, ...jsonHeaders } }),
    },
    {
      name: 'POST projects direct to project',
      url: `http://127.0.0.1:${PORTS.project}${projectsPath}`,
      options: () => withPrincipal({ method: 'POST', body, headers: jsonHeaders }),
    },
  ];
  if (runs('requests')) await requestTargets(targets);
  if (runs('sign-ins')) await signIns(email, organizationId);
  if (runs('scim'))
    await scimBench({
      gateway: GATEWAY,
      identity: `http://127.0.0.1:${PORTS.identity}`,
      identityDatabaseUrl: databaseUrl('identity'),
      organizationId,
      cookie,
      sign: (scimPrincipal) =>
        signer.sign({ principal: scimPrincipal as never, requestId: 'bench', clientIp: '127.0.0.1' }),
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
}

type TargetSpec = { name: string; url: string; options: () => Promise<Target> };

async function requestTargets(targets: TargetSpec[]) {
  // One untimed pass over every target first, so JIT, pools and caches are warm for all of them
  // and the order targets are measured in does not decide which looks fastest (it did: the first
  // measured target came out ~1.5x slower than the same request measured later).
  for (const target of targets) await autocannon(target.url, await target.options(), WARMUP);
  const results: Result[] = [];
  // Options are made per run: the direct targets' signed principals live 30 s.
  for (const target of targets) results.push(await cannon(target.name, target.url, await target.options()));

  const pad = (value: string, width: number) => value.padEnd(width);
  console.log(
    `${pad('target', 44)} ${pad('req/s', 9)} ${pad('mean ms', 9)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} errors/non-2xx`,
  );
  for (const r of results) {
    const columns = [pad(r.rps.toFixed(0), 9), pad(r.mean.toFixed(2), 9), pad(String(r.p50), 8), pad(String(r.p99), 8)];
    console.log(`${pad(r.name, 44)} ${columns.join(' ')} ${r.errors}/${r.non2xx}`);
  }
  const [viaGateway, direct, bearer, hello, listGw, listDirect, createGw, createDirect] = results as Result[] as [
    Result,
    Result,
    Result,
    Result,
    Result,
    Result,
    Result,
    Result,
  ];
  // Mean latency is a float; a ratio of integer-millisecond percentiles of a ~0 ms target means nothing.
  const ratio = (a: Result, b: Result) =>
    `${(a.rps / b.rps).toFixed(2)}x the throughput, ${(a.mean / b.mean).toFixed(2)}x the mean latency (+${(a.mean - b.mean).toFixed(2)} ms)`;
  console.log('\nratios');
  console.log(`  /me via gateway / direct to identity:     ${ratio(viaGateway, direct)}`);
  console.log(`  /me OAuth Bearer / PAT, both via gateway: ${ratio(bearer, viaGateway)}`);
  console.log(`  /me direct to identity / hello-world:     ${ratio(direct, hello)}`);
  console.log(`  /me via gateway / hello-world:            ${ratio(viaGateway, hello)}`);
  console.log(`  projects list via gateway / direct:       ${ratio(listGw, listDirect)}`);
  console.log(`  projects create via gateway / direct:     ${ratio(createGw, createDirect)}`);
}

/** Password, SAML and OIDC sign-ins, each by CONNECTIONS people at once: a warm-up (SSO's first sign-ins create the accounts), then measured. */
async function signIns(email: string, organizationId: string) {
  const sso = await ssoBench({
    gateway: GATEWAY,
    identityDatabaseUrl: databaseUrl('identity'),
    organizationId,
    ssoSecretKey: SSO_SECRET_KEY,
  });
  const flows = [{ name: 'password sign-in', flow: passwordFlow(GATEWAY, email, PASSWORD) }, ...sso.flows];
  const results: FlowResult[] = [];
  try {
    for (const { name, flow } of flows) {
      // Every person's first SSO sign-in creates the account: done before any timing, so what is
      // measured is people signing in again, as the password sign-ins are.
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, person) => flow(person, {})));
      await measureFlow(name, flow, CONNECTIONS, WARMUP);
      results.push(await measureFlow(name, flow, CONNECTIONS, DURATION));
    }
  } finally {
    await sso.close();
  }
  printSignIns(
    results,
    `${CONNECTIONS} people signing in at once, each again and again; ${WARMUP}s warm-up + ${DURATION}s measured each`,
  );
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  for (const service of ['identity', 'organization', 'project', 'audit']) {
    await client.query(`drop database if exists "gatehouse_bench_${service}" with (force)`);
  }
  await client.end();
  const nc = await connectNats(
    natsConnectionOptions({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' }, 'bench'),
  );
  await (await nc.jetstreamManager()).streams.delete(`BENCH_${run.toUpperCase()}`).catch(() => undefined);
  await nc.close();
}
