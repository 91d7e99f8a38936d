import { errorEnvelope, successEnvelope } from '@gatehouse/contracts';
import type { HttpApp } from './http.js';

export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 1500;

async function runCheck(check: ReadinessCheck): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export async function runChecks(checks: Record<string, ReadinessCheck>): Promise<Record<string, 'up' | 'down'>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
  );
  return Object.fromEntries(entries);
}

/** /livez and /healthz: the process is alive (a liveness probe restarts it when not). */
export function registerLiveness(app: HttpApp, service: string): void {
  for (const path of ['/livez', '/healthz']) {
    app.get(path, async () => successEnvelope(200, `${service} is alive`, { service, status: 'ok' }));
  }
}

/** Liveness, and /readyz: every dependency answered within a bound. */
export function registerHealth(app: HttpApp, service: string, checks: Record<string, ReadinessCheck>): void {
  registerLiveness(app, service);
  registerReadiness(app, service, checks);
}

/** /readyz: 200 when every dependency answered within a bound, else 503 naming which did not. */
export function registerReadiness(app: HttpApp, service: string, checks: Record<string, ReadinessCheck>): void {
  app.get('/readyz', async (request, reply) => {
    const results = await runChecks(checks);
    const ready = Object.values(results).every((state) => state === 'up');
    if (ready) return successEnvelope(200, `${service} is ready`, { service, status: 'ready', checks: results });
    reply.code(503);
    return errorEnvelope(503, 'SERVICE_UNAVAILABLE', `${service} is not ready`, request.id, { checks: results });
  });
}
