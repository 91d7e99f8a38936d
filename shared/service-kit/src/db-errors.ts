// Kept apart from db.ts so a process without a database (the console) need not load MikroORM for it.
/** Network failures reaching PostgreSQL, as Node and the pg driver report them. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
/**
 * SQLSTATEs meaning "the database is not there right now": class 08, shutdowns, no slots, a session ended for
 * idling in its transaction (25P03: the process stalled). Not 08P01 (protocol violation): that is a statement pg
 * could not send, e.g. one whose text holds a NUL.
 */
const UNAVAILABLE_SQLSTATES = /^(08(?!P01)...|57P0[1-3]|53300|25P03)$/;

/**
 * What pg (8.20) and pg-pool say, with no code, when a connection dies under a query or cannot be had
 * in time; knex prefixes the SQL, so these are matched inside the message.
 */
const CODELESS_DROPS = [
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
  // knex, when the connection under a transaction died and the transaction went with it.
  'Transaction query already complete',
];

/**
 * Whether an error means PostgreSQL is unreachable (down, restarting, out of connections, the
 * pool timing out, a connection dropped mid-query) rather than a bug: those answer 503
 * SERVICE_UNAVAILABLE, never a 500. An error PostgreSQL answered with a SQLSTATE of another class
 * (22021, a NUL byte; 22P05, an untranslatable character) or 08P01 is about the statement, not an outage.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const candidate = current as { name?: string; code?: unknown; message?: unknown; cause?: unknown };
    if (candidate.name === 'ConnectionException' || candidate.name === 'KnexTimeoutError') return true;
    if (typeof candidate.code === 'string') {
      if (NETWORK_CODES.has(candidate.code) || UNAVAILABLE_SQLSTATES.test(candidate.code)) return true;
    } else if (typeof candidate.message === 'string') {
      const message = candidate.message;
      if (CODELESS_DROPS.some((drop) => message.includes(drop))) return true;
    }
    current = candidate.cause;
  }
  return false;
}
