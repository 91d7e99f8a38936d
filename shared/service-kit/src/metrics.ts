import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { HttpApp } from './http.js';
import { registerProcessMetrics } from './process-metrics.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** One registry per app instance, so tests can build many apps in one process. */
export function createMetrics(service: string, collectDefaults = true): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (collectDefaults) collectDefaultMetrics({ register: registry });
  registerProcessMetrics(registry);
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, httpDuration };
}

/** A counter in the service's registry; the same one again when an app is built twice on it. */
export function counter<L extends string>(metrics: Metrics, name: string, help: string, labelNames: readonly L[]) {
  const existing = metrics.registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: [metrics.registry] });
}

/** Times every request by its route pattern (never the raw URL: ids would explode cardinality). */
export function registerMetrics(app: HttpApp, metrics: Metrics): void {
  // Callback style: an async hook costs every request a promise and a microtask turn. The label object is
  // made per request: prom-client hashes labels on every observe (labels() children too), so reusing
  // objects measured no gain.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
