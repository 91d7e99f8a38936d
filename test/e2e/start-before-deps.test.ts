import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropDatabase } from '@gatehouse/service-kit';
import {
  eventually,
  freePort,
  generatePrincipalKeys,
  PrivateServer,
  TcpRelay,
  testNamespace,
} from '@gatehouse/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * #13 item 2: processes started while PostgreSQL and NATS are not there yet. The project service
 * and the gateway run as real processes (their main.ts), pointed at a closed relay port in front of
 * the real PostgreSQL and at a private nats-server that is started later.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ns = testNamespace();
const relay = new TcpRelay({ host: '127.0.0.1', port: 5432 });
const nats = PrivateServer.nats();
const children: Array<{ child: ChildProcess; output: string[] }> = [];

function startProcess(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', LOG_PRETTY: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => output.push(String(chunk)));
  children.push({ child, output });
  return { child, output };
}

async function get(url: string) {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body };
}

/** Log lines (pino JSON) whose message matches. */
function lines(output: string[], pattern: RegExp): string[] {
  return output
    .join('')
    .split('\n')
    .filter((line) => pattern.test(line));
}

afterAll(async () => {
  for (const { child } of children) {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  }
  await relay.cut();
  await nats.destroy();
  await dropDatabase(ns.databaseUrl('project')).catch(() => undefined);
});

describe('a process started before its dependencies', () => {
  it('is alive and not ready, answers 503, waits, and serves once PostgreSQL and NATS appear', async () => {
    // Ports chosen now, nothing listening on them yet.
    relay.port = await freePort();
    nats.port = await freePort();
    const keys = await generatePrincipalKeys();
    const database = new URL(ns.databaseUrl('project'));
    database.port = String(relay.port);
    const projectPort = await freePort();
    const gatewayPort = await freePort();
    const project = startProcess('services/project/src/main.ts', {
      HOST: '127.0.0.1',
      PORT: String(projectPort),
      DATABASE_URL: database.toString(),
      NATS_URL: nats.url,
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      EVENTS_STREAM: ns.stream,
      PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
    });
    const gateway = startProcess('gateway/src/main.ts', {
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(gatewayPort),
      NATS_URL: nats.url,
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      PRINCIPAL_PRIVATE_KEY: keys.privateKeyPem,
      PROJECT_URL: `http://127.0.0.1:${projectPort}`,
      RATE_LIMIT_KEY_PREFIX: `gh:test:${ns.id}`,
    });
    const service = `http://127.0.0.1:${projectPort}`;
    const edge = `http://127.0.0.1:${gatewayPort}`;

    // Listening at once: alive, not ready, naming what it waits for.
    await eventually(async () => expect((await get(`${service}/livez`)).status).toBe(200), 60_000, 100);
    await eventually(async () => {
      const ready = await get(`${service}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', meta: { waitingFor: 'PostgreSQL' } });
    });
    const route = await get(`${service}/api/organizations/org_1/projects`);
    expect(route.status).toBe(503);
    expect(route.headers.get('retry-after')).toBe('1');
    expect(route.body).toMatchObject({ success: false, status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(route.body.requestId).toEqual(expect.any(String));
    await eventually(async () => expect((await get(`${edge}/livez`)).status).toBe(200), 60_000, 100);
    // "dependencies" until its first attempt at NATS has failed, then NATS by name.
    await eventually(async () =>
      expect((await get(`${edge}/readyz`)).body).toMatchObject({ status: 503, meta: { waitingFor: 'NATS' } }),
    );
    expect((await get(`${edge}/api/user/me`)).body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });

    // PostgreSQL appears: the service now waits for NATS only.
    await relay.start();
    await eventually(
      async () => expect((await get(`${service}/readyz`)).body).toMatchObject({ meta: { waitingFor: 'NATS' } }),
      30_000,
      100,
    );

    // NATS appears: both become ready and serve (the service refuses a request without a principal itself).
    await nats.start();
    await eventually(async () => expect((await get(`${service}/readyz`)).status).toBe(200), 30_000, 100);
    const served = await get(`${service}/api/organizations/org_1/projects`);
    expect(served.status).toBe(401);
    await eventually(
      async () => expect((await get(`${edge}/api/user/me`)).body).toMatchObject({ status: 401 }),
      30_000,
      100,
    );

    // Alive all along, and the wait was logged once per change, not once per attempt.
    expect(project.child.exitCode).toBeNull();
    expect(gateway.child.exitCode).toBeNull();
    expect(lines(project.output, /project is waiting: PostgreSQL/)).toHaveLength(1);
    expect(lines(project.output, /project is waiting: NATS/)).toHaveLength(1);
    expect(lines(gateway.output, /gateway is waiting: NATS/)).toHaveLength(1);
  }, 180_000);
});
