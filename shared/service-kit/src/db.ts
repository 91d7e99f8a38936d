import {
  type EntityManager,
  type EntitySchema,
  type MigrationObject,
  MikroORM,
  type Options,
} from '@mikro-orm/postgresql';
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
  /**
   * PostgreSQL ends a session left idle inside a transaction this long (60 s), releasing its locks: a process
   * frozen or cut off mid-transaction would otherwise hold them (an audit chain's head, an event's inbox row)
   * until TCP notices it is gone, which takes hours, and every replica would wait behind it.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * Create the database when missing and apply pending migrations under the migration lock (the
   * default: `pnpm start`, tests). False leaves the schema alone: a replica whose release's
   * migrations run once, as a Job, checks with pendingMigrations() instead.
   */
  migrate?: boolean;
}

const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** Where MikroORM records the migrations it applied; pendingMigrations() reads it without MikroORM. */
export const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/**
 * The advisory lock every process migrating a database takes first. Advisory locks are scoped to
 * the database, so one fixed key serves every service's own database ("gateh" in ASCII).
 */
export const MIGRATION_LOCK_KEY = '443692442984';

/** knex reports dropped connections through console.warn unless given a logger. */
function knexLog(logger: Logger) {
  const line = (level: 'warn' | 'error' | 'debug') => (message: unknown) =>
    logger[level]({ driver: 'knex' }, redactSql(String(message)));
  return { warn: line('warn'), error: line('error'), deprecate: line('warn'), debug: line('debug') };
}

/** Connects; unless told not to, applies the service's checked-in migrations before anything serves. */
export async function initOrm(options: OrmOptions): Promise<Orm> {
  const migrate = options.migrate !== false;
  if (migrate) await ensureDatabase(options.databaseUrl);
  const config: Options = {
    clientUrl: options.databaseUrl,
    entities: [OutboxEventSchema, ProcessedEventSchema, ...options.entities],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    metadataCache: { enabled: false },
    debug: false,
    // SQL never reaches logs (no secrets, no statements).
    logger: () => undefined,
    pool: { min: 0, max: options.poolMax ?? 10 },
    driverOptions: {
      connection: {
        idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
      ...(options.logger ? { log: knexLog(options.logger) } : {}),
    },
    migrations: {
      tableName: MIGRATIONS_TABLE,
      migrationsList: options.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    allowGlobalContext: false,
  };
  const orm = await MikroORM.init(config);
  if (!migrate) return orm;
  try {
    await applyMigrations(orm, options.databaseUrl, options.logger);
  } catch (error) {
    await orm.close();
    throw error;
  }
  return orm;
}

/**
 * Applies the pending migrations while holding the migration lock on a connection of its own, so
 * replicas starting at once (or a Job and a replica) apply the schema exactly once: the first
 * applies it; the others wait for the lock, then find nothing pending. Everything MikroORM's
 * migrator does (creating its table included) happens under the lock. A process that dies while
 * holding it drops its connection, and PostgreSQL releases the lock with it. Returns the names applied.
 */
export async function applyMigrations(orm: Orm, databaseUrl: string, logger?: Logger): Promise<string[]> {
  const lock = new pg.Client({ connectionString: databaseUrl, application_name: 'gatehouse-migrations' });
  // An idle client whose connection drops emits 'error'; unheard, that would end the process.
  lock.on('error', (error) => logger?.warn({ err: error }, 'the migration lock connection failed'));
  await lock.connect();
  try {
    const taken = await lock.query<{ taken: boolean }>('select pg_try_advisory_lock($1::bigint) as taken', [
      MIGRATION_LOCK_KEY,
    ]);
    if (!taken.rows[0]?.taken) {
      logger?.info('another process is applying migrations; waiting for the migration lock');
      await lock.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
    try {
      const applied = (await (await migratorOf(orm)).up()).map((migration) => migration.name);
      if (applied.length > 0) {
        logger?.info({ migrations: applied }, `applied ${applied.length} migration(s): ${applied.join(', ')}`);
      }
      return applied;
    } finally {
      await lock.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lock.end().catch(() => undefined);
  }
}

/**
 * MikroORM's migrator, loaded here rather than at import: @mikro-orm/migrations (umzug and knex's schema
 * builders) is a few MB of every process's heap that serving never uses, and only a process that applies
 * migrations (MIGRATE_ON_START, the migrate command) gets here. Registering again is harmless: the ORM keeps
 * the migrator it made first.
 */
async function migratorOf(orm: Orm) {
  const { Migrator } = await import('@mikro-orm/migrations');
  Migrator.register(orm);
  return orm.getMigrator<InstanceType<typeof Migrator>>();
}

/**
 * The service's migrations the database has not recorded as applied, in order: every one of
 * them when the database or the migrations table is not there yet. Reads only, on a connection of
 * its own, so a replica that must not change the schema can check it.
 */
export async function pendingMigrations(databaseUrl: string, migrations: MigrationObject[]): Promise<string[]> {
  const names = migrations.map((migration) => migration.name);
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    // 3D000: the database does not exist yet; the migrate command creates it.
    if ((error as { code?: string }).code === '3D000') return names;
    throw error;
  }
  try {
    const table = await client.query<{ present: boolean }>('select to_regclass($1) is not null as present', [
      MIGRATIONS_TABLE,
    ]);
    if (!table.rows[0]?.present) return names;
    const rows = await client.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE}`);
    // MikroORM records a name without its extension; an older row may carry one.
    const executed = new Set(rows.rows.map((row) => row.name.replace(/\.(js|ts)$/, '')));
    return names.filter((name) => !executed.has(name));
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface PooledClient {
  query(text: string): Promise<{ rows: unknown[] }>;
}
interface KnexClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<unknown>;
}

/**
 * What `em.execute` does for one statement (the same `?` placeholders, filled in as MikroORM fills them), on a
 * connection of the ORM's own pool, without MikroORM's and knex's per-query layers (a third of a hot read's
 * CPU here). The pool's acquisition is where the kit's database breaker sits, so this is guarded like any
 * query. Inside a transaction it is `em.execute`, on the transaction's connection.
 */
export async function queryRows<Row>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<Row[]> {
  if (em.getTransactionContext()) return em.execute<Row[]>(sql, [...params]);
  const text = em.getPlatform().formatQuery(sql, [...params]);
  const client = em.getConnection().getKnex().client as unknown as KnexClient;
  const connection = await client.acquireConnection();
  try {
    return (await connection.query(text)).rows as Row[];
  } finally {
    await client.releaseConnection(connection);
  }
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

export { isDatabaseUnavailable } from './db-errors.js';
