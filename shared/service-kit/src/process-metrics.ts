import { Counter, type Metric, type Registry } from 'prom-client';

/**
 * Counters that belong to the process rather than to one app instance: a failed background pass
 * or an unhandled rejection happens wherever the timer or promise lives, so these are created once
 * and registered into every app registry the process builds (createMetrics does that).
 */
export const backgroundFailures = new Counter({
  name: 'background_task_failures_total',
  help: 'Failed passes of timers, pumps and consumer loops, by task',
  labelNames: ['task'] as const,
  registers: [],
});

export const unhandledErrors = new Counter({
  name: 'process_unhandled_errors_total',
  help: 'Unhandled rejections and uncaught exceptions, by kind (programming errors exit the process)',
  labelNames: ['kind'] as const,
  registers: [],
});

export function registerProcessMetrics(registry: Registry): void {
  const metrics: Array<[string, Metric]> = [
    ['background_task_failures_total', backgroundFailures],
    ['process_unhandled_errors_total', unhandledErrors],
  ];
  for (const [name, metric] of metrics) {
    if (!registry.getSingleMetric(name)) registry.registerMetric(metric);
  }
}
