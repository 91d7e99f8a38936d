import { errorEnvelope, successEnvelope } from '@gatehouse/contracts';
import { type HttpApp, runChecks } from '@gatehouse/service-kit/edge';
import type { GatewayDeps } from './deps.js';
import type { UpstreamBreakers } from './proxy/upstream-breaker.js';

/** A service's /readyz (its /healthz is liveness only: it answers 200 with its database down). */
async function upstreamReady(base: string): Promise<void> {
  const response = await fetch(new URL('/readyz', base), { signal: AbortSignal.timeout(1000) });
  if (!response.ok) throw new Error(String(response.status));
}

/** How long one upstream report serves every /healthz request: an unauthenticated caller cannot fan probes out. */
const UPSTREAM_REPORT_MS = 1000;

/** `compute`'s result, shared (in flight too) by every caller for `ms` after it was started. */
export function sharedFor<T>(ms: number, compute: () => Promise<T>, now = Date.now): () => Promise<T> {
  let last: { startedAt: number; result: Promise<T> } | undefined;
  return () => {
    if (!last || now() - last.startedAt >= ms) last = { startedAt: now(), result: compute() };
    return last.result;
  };
}

/**
 * The rule: readiness is about what THIS replica needs to serve, never about the upstreams.
 * - /livez: the process answers (a liveness probe restarts it when not).
 * - /readyz: 503 unless NATS is connected (every credential is resolved over it, revocations arrive
 *   on it) and the principal signing key signs. Redis is reported, not required: the in-memory
 *   insurance limiter serves while it is away. The upstreams' breaker states are reported, not
 *   required: a service down must not pull every gateway out of the load balancer; its own
 *   requests get a fast 503 from its breaker instead.
 * - /healthz: for people, whether each upstream's /readyz answers 200, as of at most a second ago
 *   (always 200: this process is alive).
 */
export function registerGatewayHealth(
  app: HttpApp,
  deps: GatewayDeps,
  upstreams: Record<string, string>,
  breakers: UpstreamBreakers,
): void {
  const upstreamChecks = Object.fromEntries(
    Object.entries(upstreams).map(([name, base]) => [name, () => upstreamReady(base)]),
  );
  const upstreamReport = sharedFor(UPSTREAM_REPORT_MS, () => runChecks(upstreamChecks));
  const required = {
    nats: async () => {
      if (deps.nc.isClosed()) throw new Error('closed');
      await deps.nc.flush();
    },
    signingKey: () => deps.signer.sign({ principal: { kind: 'anonymous' }, clientIp: '127.0.0.1' }),
  };
  const redis = async () => {
    if (deps.redis.status !== 'ready') throw new Error(deps.redis.status);
    await deps.redis.ping();
  };

  app.get('/livez', async () => successEnvelope(200, 'gateway is alive', { service: 'gateway', status: 'ok' }));
  app.get('/healthz', async () => {
    const results = await upstreamReport();
    return successEnvelope(200, 'gateway is alive', { service: 'gateway', status: 'ok', upstreams: results });
  });
  app.get('/readyz', async (request, reply) => {
    const [checks, informational] = await Promise.all([runChecks(required), runChecks({ redis })]);
    const report = { service: 'gateway', checks, redis: informational.redis, upstreams: breakers.states() };
    if (Object.values(checks).every((state) => state === 'up')) {
      return successEnvelope(200, 'gateway is ready', { ...report, status: 'ready' });
    }
    const missing = Object.keys(checks).filter((name) => checks[name as keyof typeof checks] !== 'up');
    reply.code(503);
    return errorEnvelope(503, 'SERVICE_UNAVAILABLE', `gateway is not ready: ${missing.join(', ')} down`, request.id, {
      ...report,
      status: 'not_ready',
    });
  });
}
