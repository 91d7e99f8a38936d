import type { EntitySchema, MigrationObject } from '@mikro-orm/postgresql';
import type { Static, TObject } from 'typebox';
import { type BaseServiceConfig, ConfigError, loadConfig, pemFromEnv } from './config.js';
import { initOrm, type Orm, pendingMigrations } from './db.js';
import { guardDatabase } from './db-breaker.js';
import { registerHealth } from './health.js';
import { createHttpApp, type HttpApp } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics, registerMetrics } from './metrics.js';
import { PendingMigrationsError } from './migrate.js';
import { connectMessaging, type Messaging } from './nats.js';
import { OutboxRelay } from './outbox.js';
import { createPrincipalVerifier, type PrincipalVerifier, requireGatewayPrincipal } from './principal.js';
import { installProcessErrorHandlers } from './process-errors.js';
import { KIT_RETENTION, type RetentionRule, RetentionSweeper } from './retention.js';
import { reach, serveWhenReady } from './startup.js';

export { migrateCommand, migrateDatabase, PendingMigrationsError, runMigrations } from './migrate.js';

/** Everything a service's buildApp needs; tests build the same thing against fresh databases. */
export interface ServiceDeps<C extends BaseServiceConfig = BaseServiceConfig> {
  name: string;
  config: C;
  logger: Logger;
  orm: Orm;
  messaging: Messaging;
  outbox: OutboxRelay;
  verifier: PrincipalVerifier;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  /** Expired rows of the service's own tables, swept hourly with the kit's. */
  retention?: RetentionRule[];
  // biome-ignore lint/suspicious/noExplicitAny: EntitySchema generics differ per entity.
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port}`;
  } catch {
    return url;
  }
}

/**
 * Connects PostgreSQL (behind its circuit breaker; migrations applied under the migration lock or,
 * with MIGRATE_ON_START=false, only checked: pending ones fail it with a PendingMigrationsError) and NATS and starts the
 * kit's background work. An unreachable dependency fails it at once with a DependencyError:
 * tests see that, and runService retries it until the dependency is there (serveWhenReady).
 */
export async function createServiceDeps<C extends BaseServiceConfig>(
  definition: ServiceDefinition,
  config: C,
  logger: Logger = createLogger(definition.name, config.LOG_LEVEL),
): Promise<ServiceDeps<C>> {
  const migrate = config.MIGRATE_ON_START !== false;
  if (!migrate) {
    // The release's migrations run once, elsewhere (a Job); until they have, this replica does not serve.
    const pending = await reach('PostgreSQL', hostOf(config.DATABASE_URL), () =>
      pendingMigrations(config.DATABASE_URL, definition.migrations),
    );
    if (pending.length > 0) throw new PendingMigrationsError(definition.name, pending);
  }
  const metrics = createMetrics(definition.name);
  const orm = await reach('PostgreSQL', hostOf(config.DATABASE_URL), () =>
    initOrm({
      databaseUrl: config.DATABASE_URL,
      entities: definition.entities,
      migrations: definition.migrations,
      logger,
      migrate,
    }),
  );
  let messaging: Messaging;
  try {
    messaging = await reach('NATS', hostOf(config.NATS_URL), () =>
      connectMessaging({
        url: config.NATS_URL,
        creds: config.NATS_CREDS,
        token: config.NATS_TOKEN,
        name: definition.name,
        stream: config.EVENTS_STREAM,
        streamReplicas: config.EVENTS_STREAM_REPLICAS,
        subjectPrefix: config.NATS_SUBJECT_PREFIX,
        logger,
      }),
    );
  } catch (error) {
    await orm.close();
    throw error;
  }
  const database = guardDatabase(orm, metrics);
  const outbox = new OutboxRelay(orm.em, messaging, logger);
  outbox.start();
  const retention = new RetentionSweeper(orm.em, [...KIT_RETENTION, ...(definition.retention ?? [])], logger);
  retention.start();
  const verifier = await createPrincipalVerifier(pemFromEnv(config.PRINCIPAL_PUBLIC_KEY));
  return {
    name: definition.name,
    config,
    logger,
    orm,
    messaging,
    outbox,
    verifier,
    metrics,
    async close() {
      await retention.stop();
      await outbox.stop();
      await messaging.nc.drain().catch(() => messaging.nc.close());
      await orm.close();
      database.shutdown();
    },
  };
}

/** The fastify app every service starts from: envelope errors, the gateway guard, probes, metrics. */
export function createServiceApp(deps: ServiceDeps, options: { publicPaths?: readonly string[] } = {}): HttpApp {
  const app = createHttpApp({ logger: deps.logger, bodyLimit: deps.config.BODY_LIMIT });
  requireGatewayPrincipal(app, deps.verifier, options.publicPaths);
  registerMetrics(app, deps.metrics);
  registerHealth(app, deps.name, {
    postgres: () => deps.orm.em.getConnection().execute('select 1'),
    nats: async () => {
      if (deps.messaging.nc.isClosed()) throw new Error('closed');
      await deps.messaging.nc.flush();
    },
  });
  return app;
}

/**
 * main.ts of every service: config, then at once a listener that is alive but not ready; the
 * dependencies, retried until they are there; the app on the same port; graceful shutdown.
 * Only a configuration error or a bug exits (design rule 8, docs/architecture.md).
 */
export async function runService<S extends TObject>(
  definition: ServiceDefinition,
  configSchema: S,
  buildApp: (deps: ServiceDeps<Static<S> & BaseServiceConfig>) => Promise<HttpApp>,
): Promise<void> {
  let config: Static<S> & BaseServiceConfig;
  try {
    // Every service schema spreads serviceConfigProperties(), so the base variables are there.
    config = loadConfig(configSchema) as Static<S> & BaseServiceConfig;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${definition.name}: ${error.message}`);
    process.exit(1);
  }
  const logger = createLogger(definition.name, config.LOG_LEVEL);
  installProcessErrorHandlers(logger);
  try {
    await serveWhenReady({
      name: definition.name,
      host: config.HOST,
      port: config.PORT,
      logger,
      connect: () => createServiceDeps(definition, config, logger),
      build: buildApp,
    });
  } catch (error) {
    logger.fatal({ err: error }, `${definition.name} cannot start`);
    console.error(`${definition.name}: ${(error as Error).message}`);
    process.exit(1);
  }
}
