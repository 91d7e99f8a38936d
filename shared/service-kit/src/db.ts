import { Migrator } from '@mikro-orm/migrations';
import { type EntitySchema, type MigrationObject, MikroORM, type Options } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ProcessedEventSchema } from './consumer.js';
import { type Logger, redactSql } from './logger.js';
import { OutboxEventSchema } from './outbox.js';

export type Orm = MikroORM;

/** Creates the database named in the URL when it does not exist yet (first start, tests). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error('DATABASE_URL must name a database of letters, digits and _');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name}"`).catch((error: { code?: string }) => {
        // Two processes racing to create it is fine.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

export interface OrmOptions {
  databaseUrl: string;
  // biome-ignore lint/suspicious/noExplicitAny: EntitySchema generics differ per entity; MikroORM takes them as a list.
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
  poolMax?: number;
  /** Where the driver's own warnings go (a dropped connection, say); stderr otherwise. */
  logger?: Logger;
}

/** knex reports dropped connections through console.warn unless given a logger. */
function knexLog(logger: Logger) {
  const line = (level: 'warn' | 'error' | 'debug') => (message: unknown) =>
    logger[level]({ driver: 'knex' }, redactSql(String(message)));
  return { warn: line('warn'), error: line('error'), deprecate: line('warn'), debug: line('debug') };
}

/** Connects, then applies the service's checked-in migrations before anything serves. */
export async function initOrm(options: OrmOptions): Promise<Orm> {
  await ensureDatabase(options.databaseUrl);
  const config: Options = {
    clientUrl: options.databaseUrl,
    entities: [OutboxEventSchema, ProcessedEventSchema, ...options.entities],
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    metadataCache: { enabled: false },
    debug: false,
    // SQL never reaches logs (no secrets, no statements).
    logger: () => undefined,
    pool: { min: 0, max: options.poolMax ?? 10 },
    ...(options.logger ? { driverOptions: { log: knexLog(options.logger) } } : {}),
    migrations: {
      migrationsList: options.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    allowGlobalContext: false,
  };
  const orm = await MikroORM.init(config);
  await orm.getMigrator().up();
  return orm;
}

/** SQL for the tables the kit itself needs (outbox and consumer inbox); each service's first migration runs it. */
export const KIT_TABLES_SQL = [
  `create table outbox_events (
    id varchar(26) primary key,
    subject varchar(255) not null,
    payload jsonb not null,
    created_at timestamptz not null default now(),
    published_at timestamptz null,
    attempts int not null default 0
  )`,
  'create index outbox_events_unpublished_idx on outbox_events (id) where published_at is null',
  `create table processed_events (
    consumer varchar(100) not null,
    event_id varchar(26) not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, event_id)
  )`,
];

/** Network failures reaching PostgreSQL, as Node and the pg driver report them. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
/**
 * SQLSTATEs meaning "the database is not there right now": class 08, shutdowns, no slots. Not 08P01
 * (protocol violation): that is a statement pg could not send, e.g. one whose text holds a NUL.
 */
const UNAVAILABLE_SQLSTATES = /^(08(?!P01)...|57P0[1-3]|53300)$/;

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
