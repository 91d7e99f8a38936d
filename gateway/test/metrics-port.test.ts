/**
 * METRICS_PORT: /metrics leaves the public port (404 there) for a listener of its own, which serves the
 * gateway's registry; unset, the public port serves it as before.
 */
import type { AddressInfo } from 'node:net';
import { createLogger, type HttpApp } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { startMetricsServer } from '../src/metrics-server.js';
import { standaloneGatewayConfig } from './standalone.js';

const urlOf = (app: HttpApp) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const started: Array<{ app: HttpApp; deps: GatewayDeps }> = [];

async function gateway(overrides: Record<string, string>): Promise<HttpApp> {
  const deps = await createGatewayDeps(await standaloneGatewayConfig(overrides));
  const app = await buildGateway(deps);
  started.push({ app, deps });
  return app;
}

afterAll(async () => {
  for (const { app, deps } of started) {
    await app.close();
    await deps.close();
  }
});

describe('gateway with METRICS_PORT', () => {
  let main: HttpApp;
  let metricsUrl: string;

  beforeAll(async () => {
    main = await gateway({ METRICS_PORT: '0' });
    const metrics = await startMetricsServer(main, {
      host: '127.0.0.1',
      port: 0,
      logger: createLogger('gateway', 'silent'),
    });
    metricsUrl = `http://127.0.0.1:${metrics.port}`;
    await main.listen({ host: '127.0.0.1', port: 0 });
  });

  it('answers 404 for /metrics on the main port', async () => {
    const response = await fetch(`${urlOf(main)}/metrics`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { code: string };
    expect(body.code).toBe('NOT_FOUND');
    expect(await (await fetch(`${urlOf(main)}/livez`)).status).toBe(200);
  });

  it('serves the gateway registry on the metrics port, with the Prometheus content type', async () => {
    await fetch(`${urlOf(main)}/livez`);
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    // The gateway's own metrics, and the main port's requests timed (the listener shares the registry).
    expect(text).toContain('gateway_redis_up');
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/livez"[^}]*status="200"/);
    expect(text).toContain('service="gateway"');
  });

  it('serves nothing else on the metrics port', async () => {
    expect((await fetch(`${metricsUrl}/livez`)).status).toBe(404);
  });
});

describe('gateway without METRICS_PORT', () => {
  it('serves /metrics on the main port, as before', async () => {
    const main = await gateway({});
    await main.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${urlOf(main)}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('gateway_redis_up');
    await expect(
      startMetricsServer(main, { host: '127.0.0.1', port: 0, logger: createLogger('gateway', 'silent') }),
    ).rejects.toThrow(/without METRICS_PORT/);
  });
});
