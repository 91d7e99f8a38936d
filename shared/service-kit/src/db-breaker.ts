import { Breaker, type BreakerSettings, breakerMetrics, isBreakerOpen } from './breaker.js';
import type { Orm } from './db.js';
import type { Metrics } from './metrics.js';

/**
 * Half the connection attempts in 10 s failing (at least 5 of them) opens the breaker; after 2 s
 * one trial goes through, so a recovered database is back within about 2 s.
 */
export const DATABASE_BREAKER: BreakerSettings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 2000,
  windowMs: 10_000,
};

/** A database call refused because the breaker is open; its cause is the failure that opened it. */
export class DatabaseCircuitOpenError extends Error {
  override name = 'DatabaseCircuitOpenError';
  readonly code = 'EOPENBREAKER';
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
}

/**
 * Puts PostgreSQL behind a circuit breaker (opossum, through the kit's Breaker) at the one place
 * every query and transaction passes: taking a connection from knex's pool. While PostgreSQL keeps
 * refusing, resetting or timing out there, calls fail at once (→ 503 SERVICE_UNAVAILABLE with
 * Retry-After from the error handler) instead of each request queueing for a pool timeout.
 * After `resetTimeoutMs` one trial acquisition goes through; its success closes the breaker.
 * Metric: `database_breaker_state{database}` (0 closed, 1 half-open, 2 open).
 */
export function guardDatabase(orm: Orm, metrics: Metrics, settings = DATABASE_BREAKER): Breaker {
  const client = orm.em.getConnection().getKnex().client as PoolClient;
  const acquire = client.acquireConnection.bind(client);
  const breaker = new Breaker('postgres', settings, breakerMetrics(metrics, 'database_breaker', 'database'));
  let lastFailure: unknown = null;
  client.acquireConnection = () =>
    breaker.fire(acquire).catch((error: unknown) => {
      if (!isBreakerOpen(error)) {
        lastFailure = error;
        throw error;
      }
      // Carries the refusal that opened it, so isDatabaseUnavailable (which reads causes) says 503.
      throw new DatabaseCircuitOpenError('PostgreSQL is failing; calls are refused until a trial succeeds', {
        cause: lastFailure,
      });
    });
  return breaker;
}
