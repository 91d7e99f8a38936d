import { EVENT_DATA_SCHEMAS, type EventEnvelope, type EventSubject } from '@gatehouse/contracts';
import { type EntityManager, EntitySchema } from '@mikro-orm/postgresql';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { AckPolicy, DeliverPolicy, type JsMsg, nanos, StringCodec } from 'nats';
import { Value } from 'typebox/value';
import { consumedEventContext, withEventContext } from './event-context.js';
import type { Logger } from './logger.js';
import type { Messaging } from './nats.js';
import { isOperationalError } from './process-errors.js';
import { consumeLag, consumerPending, eventsHandled } from './process-metrics.js';
import { Pump } from './pump.js';
import { endSpan, natsHeaderGetter, tracerFor } from './tracing.js';

export interface ProcessedEvent {
  consumer: string;
  eventId: string;
  processedAt: Date;
}

export const ProcessedEventSchema = new EntitySchema<ProcessedEvent>({
  name: 'ProcessedEvent',
  tableName: 'processed_events',
  properties: {
    consumer: { type: 'string', primary: true },
    eventId: { type: 'string', primary: true },
    processedAt: { type: 'Date', onCreate: () => new Date() },
  },
});

/** A handler of one subject: `event.data` is that subject's payload (contracts' EventDataBySubject). */
export type EventHandler<S extends EventSubject = EventSubject> = (
  event: EventEnvelope<S>,
  em: EntityManager,
) => Promise<void>;

/** Handlers by subject, each typed by its own subject: no `event.data as …` in a consumer. */
export type EventHandlers = { [S in EventSubject]?: EventHandler<S> };

export interface DurableConsumerOptions {
  messaging: Messaging;
  em: EntityManager;
  logger: Logger;
  /** Durable name, unique per consuming service and purpose. */
  durable: string;
  /** Subject filter under events. (wildcards allowed), before namespacing. */
  filter: string;
  handlers: EventHandlers;
  /** Called after each handled event commits (e.g. to kick the outbox relay for events it recorded). */
  afterCommit?: () => void;
  /**
   * After this many handler failures an event is parked (terminated) and logged as an error.
   * Operational failures (PostgreSQL or the network away) never count: those events wait.
   */
  maxDeliveries?: number;
  /** Redelivery delay after the first failure; it doubles with each delivery. */
  retryDelayMs?: number;
  /** The longest redelivery delay, reached during a long outage and kept for as long as it lasts. */
  maxRetryDelayMs?: number;
  /**
   * How long an event given to a replica waits for its ack before JetStream gives it to another (5 s): the
   * stall after a replica dies holding it, or after an ack lost in a NATS restart. A handler running longer
   * keeps its event by telling JetStream it is still working.
   */
  ackWaitMs?: number;
}

const ACK_WAIT_MS = 5_000;
/**
 * A handler still running after this long stops holding its event (no more "still working"): one stuck on
 * something that never settles must not stall its durable on every replica. A transaction it left idle is ended by
 * then too (the kit's idle-in-transaction timeout), so the replica the event goes to is not kept waiting on it.
 */
const LONGEST_HOLD_MS = 60_000;

const codec = StringCodec();

type ReadResult = { event: EventEnvelope } | { unreadable: true } | { unknownShape: EventEnvelope };

/**
 * The event on the wire. Not JSON: unreadable, parked at once. A payload that does not match its
 * subject's schema never reaches the handler (handlers are typed by subject); it fails like a
 * handler failure, so it is retried and then parked. Payloads whose loss would fail open (a
 * member's removal) keep their schemas lenient in the catalogue for that reason.
 */
function readEvent(message: JsMsg): ReadResult {
  let event: EventEnvelope;
  try {
    event = JSON.parse(codec.decode(message.data)) as EventEnvelope;
  } catch {
    return { unreadable: true };
  }
  if (typeof event !== 'object' || event === null || typeof event.id !== 'string') return { unreadable: true };
  const schema = EVENT_DATA_SCHEMAS[event.type];
  return schema && !Value.Check(schema, event.data) ? { unknownShape: event } : { event };
}

/**
 * A durable pull consumer whose effect is exactly once: each event is handled inside a
 * database transaction that also records its id, and acked only after that commits.
 * A redelivered event finds its id recorded and is acked without running again.
 * NATS outages are ridden out by the fetch pump, which resumes where the durable left off.
 */
export class DurableConsumer {
  /** Each pass is one long-poll fetch; a NATS outage fails passes, which back off until it is back. */
  private readonly pump: Pump;
  /**
   * Handler failures of the event in hand. One slot is enough: with one event in flight per
   * durable, the same event comes back until it is acked or parked. Per replica, so with several
   * replicas an event may take up to replicas × maxDeliveries handler failures to be parked.
   */
  private failing: { eventId: string; failures: number } | null = null;
  /** Null while tracing is off: then handling an event is exactly what it was without tracing. */
  private readonly tracer: Tracer | null;
  private readonly ackWaitMs: number;

  constructor(private readonly options: DurableConsumerOptions) {
    this.tracer = tracerFor(options.logger);
    this.ackWaitMs = options.ackWaitMs ?? ACK_WAIT_MS;
    this.pump = new Pump({
      name: `consumer:${options.durable}`,
      pass: () => this.fetchBatch(),
      logger: options.logger,
      intervalMs: 0,
    });
  }

  async start(): Promise<void> {
    const { messaging, durable, filter } = this.options;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: messaging.subject(filter),
      ack_wait: nanos(this.ackWaitMs),
      // One event in flight across all replicas sharing this durable: events apply in stream
      // order (an added member is never removed before it was added). Throughput is per event.
      max_ack_pending: 1,
    };
    const exists = await messaging.jsm.consumers.info(messaging.stream, durable).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await messaging.jsm.consumers.add(messaging.stream, config);
    } else {
      // A durable made by an older release keeps working; it just may not get the newer settings.
      await messaging.jsm.consumers
        .update(messaging.stream, durable, { max_ack_pending: config.max_ack_pending, ack_wait: config.ack_wait })
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error, durable }, 'could not update consumer settings'),
        );
    }
    this.pump.start();
  }

  stop(): Promise<void> {
    return this.pump.stop();
  }

  private async fetchBatch(): Promise<void> {
    const { messaging, durable } = this.options;
    const consumer = await messaging.js.consumers.get(messaging.stream, durable);
    const batch = await consumer.fetch({ max_messages: 50, expires: 1000 });
    for await (const message of batch) {
      await this.handle(message);
      if (this.pump.isStopped) break;
    }
  }

  private async handle(message: JsMsg): Promise<void> {
    const { logger, durable } = this.options;
    consumerPending.set({ durable }, message.info.pending);
    const read = readEvent(message);
    if ('unreadable' in read) {
      logger.error({ durable, seq: message.seq, subject: message.subject }, 'unreadable event parked');
      eventsHandled.inc({ durable, outcome: 'parked' });
      message.term();
      return;
    }
    // A publisher's permissions cover subjects, not the `type` inside: an envelope that claims another
    // subject than the one it was published on (identity posing as project) is forged, never handled.
    const claimed = 'event' in read ? read.event.type : read.unknownShape.type;
    if (message.subject !== this.options.messaging.subject(claimed)) {
      logger.error(
        { durable, seq: message.seq, subject: message.subject, claimed },
        'event type does not match its subject; parked',
      );
      eventsHandled.inc({ durable, outcome: 'parked' });
      message.term();
      return;
    }
    const event = 'event' in read ? read.event : read.unknownShape;
    if (!this.tracer) return this.process(message, read, event);
    // The publisher's span (outbox.ts) sent its traceparent along: this span continues that trace.
    const parent = propagation.extract(ROOT_CONTEXT, message.headers, natsHeaderGetter);
    const span = this.tracer.startSpan(
      `process ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.subject,
          'messaging.consumer.group.name': durable,
          'messaging.message.id': event.id,
          'messaging.nats.delivery_count': message.info.deliveryCount,
        },
      },
      parent,
    );
    await context.with(trace.setSpan(parent, span), () => this.process(message, read, event, span));
  }

  private async process(
    message: JsMsg,
    read: Exclude<ReadResult, { unreadable: true }>,
    event: EventEnvelope,
    span?: Span,
  ): Promise<void> {
    const { logger, durable } = this.options;
    // The request that caused the event follows it into this service's logs.
    const log = logger.child({ durable, eventId: event.id, type: event.type, requestId: event.requestId });
    const stillWorking = this.keepWhileWorking(message, log);
    try {
      if ('unknownShape' in read) throw new Error('event payload does not match its subject’s schema');
      await this.applyOnce(event);
      message.ack();
      this.failing = null;
      eventsHandled.inc({ durable, outcome: 'handled' });
      const recorded = Date.parse(event.occurredAt);
      if (Number.isFinite(recorded)) consumeLag.observe({ durable }, Math.max(0, Date.now() - recorded) / 1000);
      if (span) endSpan(span);
      this.options.afterCommit?.();
    } catch (error) {
      if (span) endSpan(span, error);
      if (isOperationalError(error)) {
        // The database or the network is away, not the event at fault: wait for as long as it takes.
        log.warn(
          { err: error, deliveries: message.info.deliveryCount },
          'event handling failed (dependency down); will retry',
        );
        eventsHandled.inc({ durable, outcome: 'retried' });
        message.nak(this.retryDelay(message.info.deliveryCount));
        return;
      }
      const failures = this.failing?.eventId === event.id ? this.failing.failures + 1 : 1;
      if (failures >= (this.options.maxDeliveries ?? 10)) {
        log.error({ err: error, subject: message.subject, failures }, 'event parked after repeated handler failures');
        this.failing = null;
        eventsHandled.inc({ durable, outcome: 'parked' });
        message.term();
      } else {
        this.failing = { eventId: event.id, failures };
        eventsHandled.inc({ durable, outcome: 'retried' });
        log.warn({ err: error, failures }, 'event handling failed; will retry');
        message.nak(this.retryDelay(failures));
      }
    } finally {
      clearInterval(stillWorking);
    }
  }

  /**
   * Tells JetStream, a few times per ack wait, that this replica is still on the event, so a slow handler is not
   * given a second delivery elsewhere; a replica that died stops telling it, and its event moves on after one ack
   * wait. Up to LONGEST_HOLD_MS: past it the event moves on as a dead replica's would (and is applied once there).
   */
  private keepWhileWorking(message: JsMsg, log: Logger): NodeJS.Timeout {
    const started = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - started >= LONGEST_HOLD_MS) {
        clearInterval(timer);
        log.warn({ heldMs: LONGEST_HOLD_MS }, 'event handler still running: the event is let go to another replica');
        return;
      }
      try {
        message.working();
      } catch {
        // Closed or draining (shutting down): the event is redelivered after the ack wait. A connection that is
        // only down buffers the message instead of throwing.
      }
    }, this.ackWaitMs / 3);
    timer.unref();
    return timer;
  }

  /** Exponential from retryDelayMs, capped at maxRetryDelayMs. */
  private retryDelay(attempt: number): number {
    const base = this.options.retryDelayMs ?? 500;
    const cap = this.options.maxRetryDelayMs ?? 30_000;
    return Math.min(base * 2 ** Math.min(attempt - 1, 30), cap);
  }

  private async applyOnce(event: EventEnvelope): Promise<void> {
    // The subject was checked against the catalogue on receipt, so the handler matches the payload.
    const handler = this.options.handlers[event.type] as EventHandler | undefined;
    await this.options.em.fork().transactional(async (em) => {
      const inserted = await em.execute(
        'insert into processed_events (consumer, event_id, processed_at) values (?, ?, now()) on conflict do nothing returning event_id',
        [this.options.durable, event.id],
        'all',
      );
      if ((inserted as unknown[]).length === 0) return;
      if (handler) await withEventContext(consumedEventContext(event), () => handler(event, em));
    });
  }
}
