import { errorEnvelope } from '@gatehouse/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { registerLiveness } from './health.js';
import { createHttpApp, type HttpApp } from './http.js';
import type { Logger } from './logger.js';
import { isOperationalError } from './process-errors.js';
import { Backoff, failureReason } from './pump.js';
import { onShutdown } from './shutdown.js';
import { startTracing } from './tracing.js';

// Tracing starts here (serveWhenReady); what the gateway and tests need of it is exported with it.

/** A dependency that could not be reached, named with the command that starts it locally. */
export class DependencyError extends Error {
  override name = 'DependencyError';

  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How a dependency is connected to: fail at once (tests, tools) or wait for it (a long-running process). */
export type Reach = <T>(dependency: string, where: string, connect: () => Promise<T>) => Promise<T>;

const START_HINTS: Record<string, string> = {
  PostgreSQL:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start  (or: docker compose up -d postgres)',
  NATS: 'nats-server -js  (or: docker compose up -d nats)',
  Redis: 'redis-server --daemonize yes  (or: docker compose up -d redis)',
};

/** Connects once; a failure becomes a DependencyError naming the dependency and how to start it. */
export const reach: Reach = async (dependency, where, connect) => {
  try {
    return await connect();
  } catch (error) {
    // Only an outage is the dependency's fault; a bad password or a failing migration is ours.
    if (!isOperationalError(error)) throw error;
    const detail = (error as { code?: string }).code ?? (error as Error).message;
    throw new DependencyError(
      dependency,
      `${dependency} is not reachable at ${where} (${detail}). Start it with: ${START_HINTS[dependency] ?? 'see README'}`,
      { cause: error },
    );
  }
};

/** What a started process serves and how it stops. */
export interface Started {
  app: HttpApp;
  close(): Promise<void>;
}

export interface ServeWhenReadyOptions<D extends { close(): Promise<void> }> {
  name: string;
  host: string;
  port: number;
  logger: Logger;
  /** Connects the dependencies (retried, with `build`, while they fail with an outage). */
  connect: () => Promise<D>;
  build: (deps: D) => Promise<HttpApp>;
  backoff?: Backoff;
}

/**
 * Starts a process whose dependencies may not be there yet (design rule 8, docs/architecture.md), so an orchestrator
 * sees a process that is alive but not ready instead of a crash loop. At once it listens with a
 * stand-in app: /livez 200, /readyz 503 naming what it waits for, every other route 503
 * SERVICE_UNAVAILABLE with Retry-After. It retries them with backoff, logging once per change
 * of reason; when `connect` and `build` succeed (migrations applied, NATS connected) the real app takes the
 * same port. An error that is not an outage (a bug, bad configuration) is thrown: the caller exits.
 */
export async function serveWhenReady<D extends { close(): Promise<void> }>(
  options: ServeWhenReadyOptions<D>,
): Promise<Started> {
  const { name, logger } = options;
  // Before any app is built: createHttpApp looks once for a tracer (none unless OTEL_EXPORTER_OTLP_ENDPOINT is set).
  const tracing = startTracing(name);
  if (tracing.enabled) logger.info('tracing on: spans are exported over OTLP');
  const waiting = { for: 'dependencies', reason: '' };
  const standIn = startingApp(name, logger, waiting);
  await standIn.listen({ host: options.host, port: options.port });
  // With PORT=0 (tests) the real app takes the port the stand-in got.
  const port = (standIn.server.address() as import('node:net').AddressInfo).port;
  let started: Started | null = null;
  let serving: HttpApp = standIn;
  // Spans go last, so those of the drained requests and workers are exported too.
  onShutdown(logger, [() => serving.close(), async () => started?.close(), () => tracing.shutdown()]);

  const backoff = options.backoff ?? new Backoff(200, 5000);
  while (!started) {
    try {
      started = await connectAndBuild(options);
    } catch (error) {
      if (!(error instanceof DependencyError) && !isOperationalError(error)) {
        await standIn.close();
        throw error;
      }
      const reason = failureReason(error);
      if (reason !== waiting.reason) {
        waiting.for = error instanceof DependencyError ? error.dependency : 'dependencies';
        logger.warn({ err: error, waitingFor: waiting.for }, `${name} is waiting: ${(error as Error).message}`);
      }
      waiting.reason = reason;
      await new Promise((resolve) => setTimeout(resolve, backoff.next()));
    }
  }
  if (waiting.reason) logger.info(`${name}: dependencies are reachable; serving`);
  // The port is free for the few milliseconds between the two; a client sees a refused connection,
  // which a gateway answers with 503 like any other moment the process is not there.
  await standIn.close();
  await started.app.listen({ host: options.host, port });
  serving = started.app;
  return started;
}

async function connectAndBuild<D extends { close(): Promise<void> }>(options: ServeWhenReadyOptions<D>) {
  const deps = await options.connect();
  try {
    return { app: await options.build(deps), close: () => deps.close() };
  } catch (error) {
    // NATS left between connecting and starting the consumers, say: close and start again.
    await deps.close().catch(() => undefined);
    throw error;
  }
}

/** The stand-in app of a process that is alive and waiting for its dependencies. */
function startingApp(name: string, logger: Logger, waiting: { for: string }): HttpApp {
  const app = createHttpApp({ logger, bodyLimit: 1024 });
  registerLiveness(app, name);
  const notYet = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.code(503).header('retry-after', '1');
    return errorEnvelope(503, 'SERVICE_UNAVAILABLE', `${name} is starting: waiting for ${waiting.for}`, request.id, {
      waitingFor: waiting.for,
    });
  };
  app.get('/readyz', notYet);
  app.all('/*', notYet);
  return app;
}
