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
  const labelsOf = requestLabels();
  // Callback style: an async hook costs every request a promise and a microtask turn.
  app.addHook('onResponse', (request, reply, done) => {
    const labels = labelsOf(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

type RequestLabels = Readonly<Record<'method' | 'route' | 'status', string>>;

/**
 * One frozen label object per (route, method, status), made once instead of per request. Bounded: routes
 * are the app's patterns (or 'unmatched'), methods those node's parser accepts, statuses three digits.
 * prom-client keeps the first object it sees for a series, so these are never mutated.
 */
function requestLabels(): (route: string, method: string, status: number) => RequestLabels {
  const byRoute = new Map<string, Map<string, RequestLabels>>();
  return (route, method, status) => {
    let byMethodStatus = byRoute.get(route);
    if (!byMethodStatus) {
      byMethodStatus = new Map();
      byRoute.set(route, byMethodStatus);
    }
    const key = `${method} ${status}`;
    let labels = byMethodStatus.get(key);
    if (!labels) {
      labels = Object.freeze({ method, route, status: String(status) });
      byMethodStatus.set(key, labels);
    }
    return labels;
  };
}
