import { successEnvelope } from '@gatehouse/contracts';
import { type HttpApp, registerReadiness, runChecks } from '@gatehouse/service-kit';
import type { GatewayDeps } from './deps.js';

async function upstreamAlive(base: string): Promise<void> {
  const response = await fetch(new URL('/healthz', base), { signal: AbortSignal.timeout(1000) });
  if (!response.ok) throw new Error(String(response.status));
}

/**
 * /healthz: the gateway is alive, and how each upstream answers (never 5xx for an upstream:
 * liveness is about this process). /readyz: 503 unless Redis, NATS and every upstream answer.
 */
export function registerGatewayHealth(app: HttpApp, deps: GatewayDeps, upstreams: Record<string, string>): void {
  const upstreamChecks = Object.fromEntries(
    Object.entries(upstreams).map(([name, base]) => [name, () => upstreamAlive(base)]),
  );
  app.get('/healthz', async () => {
    const results = await runChecks(upstreamChecks);
    return successEnvelope(200, 'gateway is alive', { service: 'gateway', status: 'ok', upstreams: results });
  });
  registerReadiness(app, 'gateway', {
    ...upstreamChecks,
    redis: async () => {
      if (deps.redis.status !== 'ready') throw new Error(deps.redis.status);
      await deps.redis.ping();
    },
    nats: async () => deps.nc.flush(),
  });
}
