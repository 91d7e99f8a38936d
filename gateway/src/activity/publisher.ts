import { EVENT_SUBJECTS, type EventEnvelope, newId } from '@gatehouse/contracts';
import { counter, type Logger, type Metrics, Pump } from '@gatehouse/service-kit/edge';
import { type JetStreamClient, type NatsConnection, StringCodec } from 'nats';
import { Gauge } from 'prom-client';
import type { ActivityRecord } from './records.js';
import { Throttle } from './throttle.js';

type GatewayActivityEvent = EventEnvelope<typeof EVENT_SUBJECTS.gatewayActivity>;

export interface GatewayActivityOptions {
  nc: NatsConnection;
  /** Puts a subject under the deployment's namespace (GatewayDeps.subject). */
  subject: (name: string) => string;
  logger: Logger;
  metrics: Metrics;
  /** Events held while NATS is slow or away; beyond it the oldest go. */
  queueMax: number;
  /** One record per (credential or user, action, reason) per this long. */
  throttleMs?: number;
  publishTimeoutMs?: number;
}

const codec = StringCodec();
const MINUTE = 60_000;

/**
 * The gateway's security events (docs/audit-logs.md): a key refused a route, an account rate-limited.
 * The gateway has no database, so these are best-effort observations, not state changes: `record` only
 * queues (never on a request's path, never waiting for NATS), a Pump publishes the queue to JetStream with
 * the event id as Nats-Msg-Id. A full queue (NATS away or slow) drops its oldest event, counted in
 * gateway_activity_dropped_total; the throttle's suppressed copies in gateway_activity_suppressed_total.
 */
export class GatewayActivity {
  private readonly queue: GatewayActivityEvent[] = [];
  private readonly throttle: Throttle;
  private readonly pump: Pump;
  private readonly js: JetStreamClient;
  private natsAway = false;
  private readonly dropped;
  private readonly suppressed;
  private readonly published;

  constructor(private readonly options: GatewayActivityOptions) {
    const { metrics } = options;
    this.throttle = new Throttle(options.throttleMs ?? MINUTE);
    this.js = options.nc.jetstream({ timeout: options.publishTimeoutMs ?? 5000 });
    this.pump = new Pump({
      name: 'gateway-activity',
      pass: () => this.flush(),
      logger: options.logger,
      intervalMs: 1000,
    });
    this.dropped = counter(metrics, 'gateway_activity_dropped_total', 'Security events lost: queue full', ['reason']);
    this.suppressed = counter(
      metrics,
      'gateway_activity_suppressed_total',
      'Security events not recorded: the same one was within the minute',
      ['action'],
    );
    this.published = counter(metrics, 'gateway_activity_published_total', 'Security events published', ['action']);
    const queue = this.queue;
    new Gauge({
      name: 'gateway_activity_queue_depth',
      help: 'Security events waiting for NATS',
      registers: [metrics.registry],
      collect() {
        this.set(queue.length);
      },
    });
  }

  start(): void {
    this.watchConnection();
    this.pump.start();
  }

  /** Queues one event unless the same one was recorded within the window. Returns at once. */
  record({ data, context, throttleKey }: ActivityRecord): void {
    if (!this.throttle.admit(throttleKey)) {
      this.suppressed.inc({ action: data.action });
      return;
    }
    if (this.queue.length >= this.options.queueMax) {
      this.queue.shift();
      this.dropped.inc({ reason: 'queue_full' });
    }
    const id = newId();
    const type = EVENT_SUBJECTS.gatewayActivity;
    const occurredAt = new Date().toISOString();
    this.queue.push({ id, type, occurredAt, version: 1, requestId: context.requestId, context, data });
    this.pump.kick();
  }

  /** Stops publishing; what is still queued is lost (best-effort, like a replica's crash). */
  async stop(): Promise<void> {
    await this.pump.stop();
  }

  /** Publishes oldest first while NATS is there; a failed publish puts the event back and the Pump backs off. */
  private async flush(): Promise<void> {
    while (!this.natsAway && this.queue.length > 0) {
      const event = this.queue.shift() as GatewayActivityEvent;
      try {
        await this.js.publish(this.options.subject(event.type), codec.encode(JSON.stringify(event)), {
          msgID: event.id,
        });
      } catch (error) {
        this.requeue(event);
        throw error;
      }
      this.published.inc({ action: event.data.action });
    }
  }

  /** Back at the front, unless newer events filled the queue meanwhile (then it is the oldest: dropped). */
  private requeue(event: GatewayActivityEvent): void {
    if (this.queue.length >= this.options.queueMax) {
      this.dropped.inc({ reason: 'queue_full' });
      return;
    }
    this.queue.unshift(event);
  }

  /** While NATS is away nothing is tried (no publish waiting out its timeout); its return flushes at once. */
  private watchConnection(): void {
    void (async () => {
      for await (const status of this.options.nc.status()) {
        if (status.type === 'disconnect') this.natsAway = true;
        if (status.type === 'reconnect') {
          this.natsAway = false;
          this.pump.kick();
        }
      }
    })().catch(() => undefined);
  }
}
