import type { EntitySchema, MigrationObject } from '@mikro-orm/postgresql';
import type { Static, TObject } from 'typebox';
import { type BaseServiceConfig, ConfigError, loadConfig, pemFromEnv } from './config.js';
import { initOrm, type Orm } from './db.js';
import { registerHealth } from './health.js';
import { createHttpApp, type HttpApp } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics, registerMetrics } from './metrics.js';
import { connectMessaging, type Messaging } from './nats.js';
import { OutboxRelay } from './outbox.js';
import { createPrincipalVerifier, type PrincipalVerifier, requireGatewayPrincipal } from './principal.js';
import { KIT_RETENTION, type RetentionRule, RetentionSweeper } from './retention.js';
import { onShutdown } from './shutdown.js';

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

/** A dependency that could not be reached, named with the command that starts it locally. */
export class DependencyError extends Error {
  override name = 'DependencyError';
}

const START_HINTS: Record<string, string> = {
  PostgreSQL:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start  (or: docker compose up -d postgres)',
  NATS: 'nats-server -js  (or: docker compose up -d nats)',
  Redis: 'redis-server --daemonize yes  (or: docker compose up -d redis)',
};

export async function reach<T>(dependency: string, where: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    const detail = (error as { code?: string }).code ?? (error as Error).message;
    throw new DependencyError(
      `${dependency} is not reachable at ${where} (${detail}). Start it with: ${START_HINTS[dependency] ?? 'see README'}`,
    );
  }
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port}`;
  } catch {
    return url;
  }
}

export async function createServiceDeps<C extends BaseServiceConfig>(
  definition: ServiceDefinition,
  config: C,
  logger: Logger = createLogger(definition.name, config.LOG_LEVEL),
): Promise<ServiceDeps<C>> {
  const orm = await reach('PostgreSQL', hostOf(config.DATABASE_URL), () =>
    initOrm({
      databaseUrl: config.DATABASE_URL,
      entities: definition.entities,
      migrations: definition.migrations,
      logger,
    }),
  );
  let messaging: Messaging;
  try {
    messaging = await reach('NATS', hostOf(config.NATS_URL), () =>
      connectMessaging({
        url: config.NATS_URL,
        name: definition.name,
        stream: config.EVENTS_STREAM,
        subjectPrefix: config.NATS_SUBJECT_PREFIX,
        logger,
      }),
    );
  } catch (error) {
    await orm.close();
    throw error;
  }
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
    metrics: createMetrics(definition.name),
    async close() {
      await retention.stop();
      await outbox.stop();
      await messaging.nc.drain().catch(() => messaging.nc.close());
      await orm.close();
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

/** main.ts of every service: config, dependencies, app, listen, graceful shutdown. */
export async function runService<S extends TObject>(
  definition: ServiceDefinition,
  configSchema: S,
  buildApp: (deps: ServiceDeps<Static<S> & BaseServiceConfig>) => Promise<HttpApp>,
): Promise<void> {
  try {
    // Every service schema spreads serviceConfigProperties(), so the base variables are there.
    const config = loadConfig(configSchema) as Static<S> & BaseServiceConfig;
    const deps = await createServiceDeps(definition, config);
    const app = await buildApp(deps);
    await app.listen({ host: config.HOST, port: config.PORT });
    onShutdown(deps.logger, [() => app.close(), () => deps.close()]);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DependencyError) {
      console.error(`${definition.name}: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
