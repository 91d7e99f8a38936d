import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';

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

/**
 * Outbox lag (outbox.ts records it): how long
 * events waited between their commit and their publish, and how old the oldest one still waiting is as
 * the relaying replica sees it (0 on a replica that does not hold the relay lock, so `max` is the truth).
 */
export const outboxPublishLag = new Histogram({
  name: 'outbox_publish_lag_seconds',
  help: 'Time from recording an event to publishing it to JetStream',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [],
});

export const outboxOldestPending = new Gauge({
  name: 'outbox_oldest_pending_age_seconds',
  help: 'Age of the oldest event still waiting in the outbox after the last relay pass (0 when none)',
  registers: [],
});

/**
 * Consumer lag (consumer.ts records it): what
 * JetStream still holds for the durable after the event in hand, how long after its recording an event
 * was handled, and how each handling ended.
 */
export const consumerPending = new Gauge({
  name: 'event_consumer_pending_messages',
  help: 'Events waiting in JetStream for this durable after the one last received',
  labelNames: ['durable'] as const,
  registers: [],
});

export const consumeLag = new Histogram({
  name: 'event_consume_lag_seconds',
  help: 'Time from an event being recorded (occurredAt) to its handling committing',
  labelNames: ['durable'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [],
});

export const eventsHandled = new Counter({
  name: 'events_handled_total',
  help: 'Events received by a durable, by outcome: handled, retried, parked',
  labelNames: ['durable', 'outcome'] as const,
  registers: [],
});

export function registerProcessMetrics(registry: Registry): void {
  const metrics: Array<[string, Metric]> = [
    ['background_task_failures_total', backgroundFailures],
    ['process_unhandled_errors_total', unhandledErrors],
    ['outbox_publish_lag_seconds', outboxPublishLag],
    ['outbox_oldest_pending_age_seconds', outboxOldestPending],
    ['event_consumer_pending_messages', consumerPending],
    ['event_consume_lag_seconds', consumeLag],
    ['events_handled_total', eventsHandled],
  ];
  for (const [name, metric] of metrics) {
    if (!registry.getSingleMetric(name)) registry.registerMetric(metric);
  }
}
