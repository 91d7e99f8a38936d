import { type TObject, Type } from 'typebox';
import { ConfigError, LOG_LEVELS, type LogLevel, loadConfig, serviceConfigProperties } from './config.js';
import { applyMigrations, ensureDatabase, initOrm } from './db.js';
import { createLogger, type Logger } from './logger.js';
import type { ServiceDefinition } from './service.js';
import { DependencyError } from './startup.js';

/** How an operator applies a service's migrations: the compiled entry point, and the same from source. */
export function migrateCommand(service: string): string {
  return `node services/${service}/dist/src/migrate.js (from source: node --import tsx services/${service}/src/migrate.ts)`;
}

/**
 * A replica started with MIGRATE_ON_START=false whose database lacks migrations of its release.
 * It is a DependencyError so runService keeps the process alive but not ready (/readyz 503 "waiting
 * for migrations") and retries, serving once the migrate command has run.
 */
export class PendingMigrationsError extends DependencyError {
  override name = 'PendingMigrationsError';

  constructor(
    service: string,
    readonly pending: string[],
  ) {
    super(
      'migrations',
      `${service}: the database has ${pending.length} pending migration(s) (${pending.join(', ')}) and ` +
        `MIGRATE_ON_START is false, so this replica does not serve. Apply them with: ${migrateCommand(service)}`,
    );
  }
}

/**
 * Creates the service's database when missing and applies its pending migrations under the
 * migration lock; returns the names applied (none when the schema was current).
 */
export async function migrateDatabase(
  definition: Pick<ServiceDefinition, 'entities' | 'migrations'>,
  databaseUrl: string,
  logger?: Logger,
): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const orm = await initOrm({
    databaseUrl,
    entities: definition.entities,
    migrations: definition.migrations,
    poolMax: 2,
    migrate: false,
    ...(logger ? { logger } : {}),
  });
  try {
    return await applyMigrations(orm, databaseUrl, logger);
  } finally {
    await orm.close();
  }
}

/**
 * services/<name>/src/migrate.ts: the once-per-release step (a Kubernetes Job, an upgrade by hand).
 * It reads only DATABASE_URL and LOG_LEVEL from the service's schema, so it needs no principal
 * key or NATS; it exits 0 when the schema is current, 1 (with the reason) otherwise.
 */
export async function runMigrations(definition: ServiceDefinition, configSchema: TObject): Promise<never> {
  const base = serviceConfigProperties(definition.name, 0);
  const schema = Type.Object({
    DATABASE_URL: configSchema.properties.DATABASE_URL ?? base.DATABASE_URL,
    LOG_LEVEL: configSchema.properties.LOG_LEVEL ?? base.LOG_LEVEL,
  });
  let config: { DATABASE_URL: string; LOG_LEVEL: LogLevel };
  try {
    config = loadConfig(schema) as { DATABASE_URL: string; LOG_LEVEL: LogLevel };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${definition.name} migrate: ${error.message}`);
    process.exit(1);
  }
  const level = LOG_LEVELS.includes(config.LOG_LEVEL) ? config.LOG_LEVEL : 'info';
  const logger = createLogger(definition.name, level);
  try {
    const applied = await migrateDatabase(definition, config.DATABASE_URL, logger);
    logger.info(
      { migrations: applied },
      applied.length > 0
        ? `${definition.name}: the schema is current (${applied.length} migration(s) applied)`
        : `${definition.name}: the schema is current; nothing to apply`,
    );
    process.exit(0);
  } catch (error) {
    logger.fatal({ err: error }, `${definition.name}: migrations failed`);
    console.error(`${definition.name} migrate: ${(error as Error).message}`);
    process.exit(1);
  }
}
