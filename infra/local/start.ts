/**
 * `pnpm start`: the whole system on one machine. Checks PostgreSQL, Redis and NATS (one that is
 * not up yet is reported, not fatal: every process waits for its dependencies), makes the principal
 * and OAuth signing keys once, builds the web console, starts identity, organization, project, audit,
 * billing, the console and the gateway as their own processes (each service migrates its own database, created if
 * missing), and prints the URL once all are ready. Billing runs in local mode (every organization on Free)
 * unless STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are in the environment (docs/billing.md).
 * Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildConsoleApp } from '../../services/console/scripts/build.js';
import { localMfaKey, localOAuthSecrets, localPrincipalKeys, localSsoSecrets } from './keys.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;

const HINTS = {
  PostgreSQL:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: docker compose up -d postgres)',
  Redis: 'redis-server --daemonize yes --port 6379 --save ""   (or: docker compose up -d redis)',
  NATS: 'nats-server -js -p 4222   (or: docker compose up -d nats)',
};

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect(Number(port) || defaultPort, hostname.replace(/^\[|\]$/g, ''));
    socket.setTimeout(1500);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

function databaseFor(service: string): string {
  const own = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (own) return own;
  const url = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/gatehouse_${service}`;
  return url.toString();
}

async function main() {
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const checks: Array<[keyof typeof HINTS, string, number]> = [
    ['PostgreSQL', databaseFor('identity'), 5432],
    ['Redis', redisUrl, 6379],
    ['NATS', natsUrl, 4222],
  ];
  // A dependency that is not up yet is only reported: each process listens at once, reports
  // not-ready and waits for it (NATS starting a second after us is fine).
  for (const [name, url, port] of checks) {
    if (!(await reachable(url, port))) {
      const { hostname, port: p } = new URL(url);
      console.error(
        `… ${name} is not reachable at ${hostname}:${p || port} yet; the processes wait for it. Start it with: ${HINTS[name]}`,
      );
    }
  }

  const keys = await localPrincipalKeys(join(root, '.data/keys'));
  const oauth = await localOAuthSecrets(join(root, '.data/keys'));
  const sso = await localSsoSecrets(join(root, '.data/keys'));
  const mfaKey = await localMfaKey(join(root, '.data/keys'));
  const webhookKey = await localMfaKey(join(root, '.data/keys'), 'webhook.key');
  const identityOAuth = {
    OAUTH_SIGNING_KEYS: env.OAUTH_SIGNING_KEYS ?? oauth.signingKeyPem,
    OAUTH_COOKIE_KEYS: env.OAUTH_COOKIE_KEYS ?? oauth.cookieKey,
    SSO_SECRET_KEY: env.SSO_SECRET_KEY ?? sso.secretKey,
    MFA_ENCRYPTION_KEY: env.MFA_ENCRYPTION_KEY ?? mfaKey,
    SAML_SP_PRIVATE_KEY: env.SAML_SP_PRIVATE_KEY ?? sso.samlPrivateKeyPem,
    SAML_SP_CERTIFICATE: env.SAML_SP_CERTIFICATE ?? sso.samlCertificatePem,
    // A local IdP to try SSO against runs on this machine.
    SSO_ALLOW_PRIVATE_IDP: env.SSO_ALLOW_PRIVATE_IDP ?? 'true',
  };
  const gatewayPort = env.GATEWAY_PORT ?? '8080';
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${gatewayPort}`;
  const ports = {
    identity: env.IDENTITY_PORT ?? '4001',
    organization: env.ORGANIZATION_PORT ?? '4002',
    project: env.PROJECT_PORT ?? '4003',
    console: env.CONSOLE_PORT ?? '4004',
    audit: env.AUDIT_PORT ?? '4005',
    billing: env.BILLING_PORT ?? '4006',
  };
  const auditSettings = {
    WEBHOOK_ENCRYPTION_KEY: env.WEBHOOK_ENCRYPTION_KEY ?? webhookKey,
    // Local receivers (a tunnel, a request bin on this machine) are reachable in development only.
    WEBHOOK_ALLOW_PRIVATE_URLS: env.WEBHOOK_ALLOW_PRIVATE_URLS ?? 'true',
  };
  const common = {
    NATS_URL: natsUrl,
    PUBLIC_URL: publicUrl,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    // Readable lines in a terminal; JSON when piped (to a file, a collector, CI).
    LOG_PRETTY: env.LOG_PRETTY ?? (process.stdout.isTTY ? '1' : '0'),
  };
  const services: Array<{ name: string; entry: string; env: Record<string, string> }> = (
    ['identity', 'organization', 'project', 'audit', 'billing'] as const
  ).map((name) => ({
    name,
    entry: `services/${name}/src/main.ts`,
    env: {
      ...common,
      PORT: ports[name],
      DATABASE_URL: databaseFor(name),
      PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
      ...(name === 'identity' ? identityOAuth : {}),
      ...(name === 'audit' ? auditSettings : {}),
    },
  }));
  const gateway = {
    name: 'gateway',
    entry: 'gateway/src/main.ts',
    env: {
      ...common,
      GATEWAY_PORT: gatewayPort,
      REDIS_URL: redisUrl,
      PRINCIPAL_PRIVATE_KEY: keys.privateKeyPem,
      IDENTITY_URL: `http://127.0.0.1:${ports.identity}`,
      ORGANIZATION_URL: `http://127.0.0.1:${ports.organization}`,
      PROJECT_URL: `http://127.0.0.1:${ports.project}`,
      AUDIT_URL: `http://127.0.0.1:${ports.audit}`,
      BILLING_URL: `http://127.0.0.1:${ports.billing}`,
      CONSOLE_URL: `http://127.0.0.1:${ports.console}`,
      // `pnpm dev:console` serves the console with hot reload from Vite's own origin.
      CORS_ORIGINS: env.CORS_ORIGINS ?? 'http://localhost:5173',
    },
  };
  const consoleServer = {
    name: 'console',
    entry: 'services/console/src/main.ts',
    env: { PORT: ports.console, LOG_LEVEL: common.LOG_LEVEL, LOG_PRETTY: common.LOG_PRETTY },
  };
  // Built at every start (about a second): what the console serves is what is in the tree.
  console.log('… building the console');
  await buildConsoleApp();

  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null)),
    );
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const start = (spec: { name: string; entry: string; env: Record<string, string> }) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, spec.entry)], {
      cwd: root,
      env: { ...env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[${spec.name.padEnd(12)}] ${line}`));
    }
    child.once('exit', (code) => {
      if (!stopping) {
        console.error(`✗ ${spec.name} stopped (exit ${code}); stopping the rest`);
        void stopAll(1);
      }
    });
    children.push(child);
  };

  for (const service of services) start(service);
  start(consoleServer);
  start(gateway);
  const readiness: Array<[string, string]> = [
    ...services.map((service): [string, string] => [service.name, service.env.PORT ?? '']),
    ['gateway', gatewayPort],
  ];
  await waitReady('console', `http://127.0.0.1:${ports.console}/livez`);
  await Promise.all(readiness.map(([name, port]) => waitReady(name, `http://127.0.0.1:${port}/readyz`)));
  console.log(`\n  Gatehouse is running at ${publicUrl}   (Ctrl-C stops everything)\n`);
}

/** Waits for a process's /readyz; says once what it still waits for if that takes a while. */
async function waitReady(name: string, url: string): Promise<void> {
  const patience = Date.now() + 15_000;
  let told = false;
  for (;;) {
    let reason = 'not listening yet';
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      reason = ((await response.json()) as { message?: string }).message ?? `HTTP ${response.status}`;
    } catch {
      // not up yet
    }
    if (!told && Date.now() > patience) {
      console.error(`… ${name} is not ready yet: ${reason}`);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

await main();
