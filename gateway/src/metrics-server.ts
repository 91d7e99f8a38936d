import { AppError } from '@gatehouse/contracts';
import { createHttpApp, type HttpApp, type Logger, type Metrics, registerMetrics } from '@gatehouse/service-kit/edge';

/** The registry behind each gateway app built with a metrics port, for the listener main.ts starts. */
const registries = new WeakMap<HttpApp, Metrics>();

/**
 * Times every request and serves /metrics, as every service does. With a metrics port (METRICS_PORT) the
 * public port answers 404 for /metrics instead: behind an Ingress routing `/` to the gateway, that port is
 * the internet's, and the scrape goes to the separate listener of `startMetricsServer`.
 */
export function registerGatewayMetrics(app: HttpApp, metrics: Metrics, metricsPort: number | undefined): void {
  registerMetrics(app, metrics);
  if (metricsPort === undefined) return;
  registries.set(app, metrics);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === '/metrics') {
      throw new AppError('NOT_FOUND', `Route ${request.method} /metrics not found`);
    }
  });
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  logger: Logger;
}

/**
 * A small listener serving only the /metrics of `gateway` (built with a metrics port, not listening yet);
 * `port` is the one it got (0 in tests).
 */
export async function startMetricsServer(
  gateway: HttpApp,
  options: MetricsServerOptions,
): Promise<{ app: HttpApp; port: number }> {
  const metrics = registries.get(gateway);
  if (!metrics) throw new Error('the gateway was built without METRICS_PORT: it serves /metrics itself');
  const app = createHttpApp({ logger: options.logger, bodyLimit: 1024 });
  // The same answer as registerMetrics's route, from the same registry.
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  await app.listen({ host: options.host, port: options.port });
  // Before the gateway listens (it takes no hook after): its close, on shutdown, closes this one too.
  gateway.addHook('onClose', () => app.close());
  return { app, port: (app.server.address() as import('node:net').AddressInfo).port };
}
