import type { AddressInfo } from 'node:net';
import { createHttpApp, createLogger, type HttpApp } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { sharedFor } from '../src/health.js';
import { standaloneGatewayConfig } from './standalone.js';

/** A real HTTP service on loopback that is alive (/healthz 200) and, when told, not ready (/readyz 503). */
async function upstream(ready: boolean): Promise<HttpApp> {
  const app = createHttpApp({ logger: createLogger('upstream', 'silent'), bodyLimit: 1024 });
  app.get('/healthz', async () => ({ success: true, status: 200, code: 'OK', message: 'alive' }));
  app.get('/readyz', async (_request, reply) =>
    ready
      ? { success: true, status: 200, code: 'OK', message: 'ready' }
      : reply.code(503).send({ success: false, status: 503, code: 'SERVICE_UNAVAILABLE', message: 'database down' }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

const urlOf = (app: HttpApp) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const upstreams: HttpApp[] = [];
let gateway: { app: HttpApp; deps: GatewayDeps };

beforeAll(async () => {
  const [identity, organization, project, audit, billing] = await Promise.all([
    upstream(true),
    upstream(true),
    upstream(false),
    upstream(true),
    upstream(true),
  ]);
  upstreams.push(identity, organization, project, audit, billing);
  const config = await standaloneGatewayConfig({
    IDENTITY_URL: urlOf(identity),
    ORGANIZATION_URL: urlOf(organization),
    PROJECT_URL: urlOf(project),
    AUDIT_URL: urlOf(audit),
    BILLING_URL: urlOf(billing),
  });
  const deps = await createGatewayDeps(config);
  gateway = { app: await buildGateway(deps), deps };
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await gateway?.app.close();
  await gateway?.deps.close();
  for (const app of upstreams) await app.close();
});

describe('gateway /healthz', () => {
  it('shows a service that is alive but not ready as down', async () => {
    const response = await fetch(`${urlOf(gateway.app)}/healthz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { upstreams: Record<string, string> } };
    expect(body.data.upstreams).toEqual({
      identity: 'up',
      organization: 'up',
      project: 'down',
      audit: 'up',
      billing: 'up',
    });
  });
});

describe('sharedFor', () => {
  it('runs the probe once per window, sharing its result (in flight too) with every caller meanwhile', async () => {
    let clock = 0;
    let runs = 0;
    const report = sharedFor(
      1000,
      async () => ++runs,
      () => clock,
    );
    const [first, second] = await Promise.all([report(), report()]);
    expect([first, second, runs]).toEqual([1, 1, 1]);
    clock = 999;
    expect(await report()).toBe(1);
    clock = 1000;
    expect(await report()).toBe(2);
    expect(await report()).toBe(2);
  });
});
