/**
 * `pnpm start`: the whole system on one machine. Checks PostgreSQL, Redis and NATS (one that is
 * not up yet is reported, not fatal: every process waits for its dependencies), makes the principal
 * and OAuth signing keys once, starts identity, organization, project, audit,
 * billing, the console and the gateway as their own processes (each service migrates its own database, created if
 * missing), and prints the URL once all are ready. Billing runs in local mode (every organization on Free)
 * unless STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are in the environment (docs/billing.md).
 * Ctrl-C stops everything.
 *
 * `pnpm start` runs the JavaScript `pnpm build` compiled (dist/, as production does); `pnpm dev` passes
 * --dev and runs the TypeScript sources through tsx instead, building the console at every start.
 *
 * `pnpm start --replicas 2` runs that many replicas of the gateway, the console and
 * every service behind HAProxy (infra/local/haproxy.ts): HAProxy listens on the usual ports, the
 * replicas on those + 100, + 200, …; a replica that stops is started again instead of stopping the rest.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildConsoleApp } from '../../services/console/scripts/build.js';
import { PRODUCTION_NODE_FLAGS } from '../build/node-flags.js';
import { haproxyConfig } from './haproxy.js';
import { localMfaKey, localOAuthSecrets, localPrincipalKeys, localSsoSecrets } from './keys.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const dev = process.argv.includes('--dev');
const replicas = replicaCount(process.argv);

/** `--replicas N` or `--replicas=N`; 1 without it. */
function replicaCount(argv: string[]): number {
  const at = argv.findIndex((arg) => arg === '--replicas' || arg.startsWith('--replicas='));
  if (at === -1) return 1;
  const value = argv[at]?.includes('=') ? argv[at]?.split('=')[1] : argv[at + 1];
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 9)
    throw new Error(`--replicas wants a number from 1 to 9, not ${value}`);
  return count;
}

/** How a process of the package in `dir` is run: its compiled main, or (--dev) its sources under tsx. */
function commandFor(dir: string): string[] {
  if (dev) return ['--conditions=source', '--import', 'tsx', join(root, dir, 'src/main.ts')];
  const main = join(root, dir, 'dist/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run pnpm build first (pnpm start does), or pnpm dev`);
  return [...PRODUCTION_NODE_FLAGS, main];
}

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

  // Made once and kept; a run of its own (the scale-out test) keeps its keys elsewhere.
  const keysDir = env.GATEHOUSE_KEYS_DIR ?? join(root, '.data/keys');
  const keys = await localPrincipalKeys(keysDir);
  const oauth = await localOAuthSecrets(keysDir);
  const sso = await localSsoSecrets(keysDir);
  const mfaKey = await localMfaKey(keysDir);
  const webhookKey = await localMfaKey(keysDir, 'webhook.key');
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
  const services: Array<ProcessSpec> = (['identity', 'organization', 'project', 'audit', 'billing'] as const).map(
    (name) => ({
      name,
      dir: `services/${name}`,
      env: {
        ...common,
        PORT: ports[name],
        DATABASE_URL: databaseFor(name),
        PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
        ...(name === 'identity' ? identityOAuth : {}),
        ...(name === 'audit' ? auditSettings : {}),
      },
    }),
  );
  const gateway = {
    name: 'gateway',
    dir: 'gateway',
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
    dir: 'services/console',
    env: { PORT: ports.console, LOG_LEVEL: common.LOG_LEVEL, LOG_PRETTY: common.LOG_PRETTY },
  };
  if (dev && !env.CONSOLE_DIST_DIR) {
    // Built at every start (about a second): what the console serves is what is in the tree.
    // Given CONSOLE_DIST_DIR (a build already made, as the scale-out test has), it serves that.
    console.log('… building the console');
    await buildConsoleApp();
  }

  const children = new Set<ChildProcess>();
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      [...children].map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null)),
    );
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  /**
   * Runs one process. A process that stops on its own stops the rest, unless it is one replica of
   * several: then it is started again after a second, as an orchestrator would, while HAProxy sends
   * its share to the others.
   */
  const start = (spec: ProcessSpec, restartable = false) => {
    const [command, ...args] = spec.command ?? [process.execPath, ...commandFor(spec.dir)];
    const child = spawn(command as string, args, {
      cwd: root,
      env: { ...env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[${spec.name.padEnd(12)}] ${line}`));
    }
    // The scale-out test finds each replica's pid here (test/scale-out).
    if (replicas > 1) console.log(`… ${spec.name} started: pid ${child.pid}, port ${spec.port}`);
    child.once('error', (error) => {
      console.error(`✗ ${spec.name} could not start: ${error.message}${spec.hint ? ` (${spec.hint})` : ''}`);
      void stopAll(1);
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      if (restartable) {
        console.error(`✗ ${spec.name} stopped (${signal ?? `exit ${code}`}); starting it again in a second`);
        setTimeout(() => stopping || start(spec, true), 1000);
        return;
      }
      console.error(`✗ ${spec.name} stopped (${signal ?? `exit ${code}`}); stopping the rest`);
      void stopAll(1);
    });
    children.add(child);
  };

  const kinds: ProcessSpec[] = [
    ...services.map((service) => ({ ...service, port: service.env.PORT as string, health: '/readyz' })),
    { ...consoleServer, port: ports.console, health: '/livez' },
    { ...gateway, port: gatewayPort, health: '/readyz' },
  ];
  if (replicas === 1) {
    for (const kind of kinds) start(kind);
    await Promise.all(kinds.map((kind) => waitReady(kind.name, `http://127.0.0.1:${kind.port}${kind.health}`)));
    console.log(`\n  Gatehouse is running at ${publicUrl}   (Ctrl-C stops everything)\n`);
    return;
  }

  // --replicas N: each kind listens on its usual port through HAProxy; its replicas on that port
  // + 100, + 200, … The gateways call the services' HAProxy ports, so they share nothing in-process.
  const replicasOf = (kind: ProcessSpec): ProcessSpec[] =>
    Array.from({ length: replicas }, (_, index) => {
      const port = String(Number(kind.port) + 100 * (index + 1));
      const portVariable = kind.name === 'gateway' ? 'GATEWAY_PORT' : 'PORT';
      return { ...kind, name: `${kind.name}-${index + 1}`, port, env: { ...kind.env, [portVariable]: port } };
    });
  const fleet = kinds.map((kind) => ({ kind, replicas: replicasOf(kind) }));
  for (const { replicas: copies } of fleet) {
    for (const copy of copies) {
      // Behind HAProxy on this machine: the client's address is in X-Forwarded-For, and every
      // connection comes from HAProxy, which caps connections per client address instead.
      if (copy.dir === 'gateway') {
        copy.env.TRUSTED_PROXIES = env.TRUSTED_PROXIES ?? '127.0.0.1';
        copy.env.MAX_CONNECTIONS_PER_IP = '0';
      }
    }
  }
  const configFile = join(root, '.data/haproxy', `gatehouse-${gatewayPort}.cfg`);
  await mkdir(dirname(configFile), { recursive: true });
  await writeFile(
    configFile,
    haproxyConfig(
      fleet.map(({ kind, replicas: copies }) => ({
        name: kind.name,
        port: Number(kind.port),
        servers: copies.map((copy) => Number(copy.port)),
        healthPath: kind.health ?? '/readyz',
        forwardFor: kind.dir === 'gateway',
        ...(kind.dir === 'gateway' && { maxConnectionsPerIp: Number(env.MAX_CONNECTIONS_PER_IP ?? 100) }),
      })),
    ),
  );
  start({
    name: 'haproxy',
    dir: '',
    port: gatewayPort,
    health: '/readyz',
    env: {},
    command: [env.HAPROXY_BIN ?? 'haproxy', '-db', '-f', configFile],
    hint: 'install it: apt-get install -y haproxy',
  });
  for (const { replicas: copies } of fleet) for (const copy of copies) start(copy, true);
  await Promise.all(
    fleet.flatMap(({ replicas: copies }) =>
      copies.map((copy) => waitReady(copy.name, `http://127.0.0.1:${copy.port}${copy.health}`)),
    ),
  );
  await Promise.all(
    kinds.map((kind) => waitReady(`haproxy → ${kind.name}`, `http://127.0.0.1:${kind.port}${kind.health}`)),
  );
  console.log(
    `\n  Gatehouse is running at ${publicUrl}: HAProxy in front of ${replicas} replicas of each process   (Ctrl-C stops everything)\n`,
  );
}

interface ProcessSpec {
  name: string;
  /** The package folder: its dist/src/main.js (or src/main.ts with --dev) runs. */
  dir: string;
  env: Record<string, string>;
  /** Where it listens, and the path that says it is ready. */
  port?: string;
  health?: string;
  /** Another program than a package's main (HAProxy), and what to do when it is missing. */
  command?: string[];
  hint?: string;
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
