import {
  EVENT_DATA_SCHEMAS,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  newId,
} from '@gatehouse/contracts';
import { type EntityManager, EntitySchema } from '@mikro-orm/postgresql';
import { context, propagation, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { headers, type MsgHdrs, StringCodec } from 'nats';
import { Compile, type Validator } from 'typebox/compile';
import { currentEventContext } from './event-context.js';
import type { Logger } from './logger.js';
import type { Messaging } from './nats.js';
import { outboxOldestPending, outboxPublishLag } from './process-metrics.js';
import { Pump } from './pump.js';
import { contextFromCarrier, currentTraceCarrier, endSpan, natsHeaderSetter, tracerFor } from './tracing.js';

/**
 * The envelope as the outbox stores it: with tracing on, also the trace context of the work that
 * recorded it, so the relay's producer span (published later, from a timer) joins that trace. It
 * travels as the NATS traceparent header, never inside the published envelope.
 */
export type StoredEnvelope = EventEnvelope & { traceContext?: Record<string, string> };

export interface OutboxEvent {
  id: string;
  subject: string;
  payload: StoredEnvelope;
  createdAt: Date;
  publishedAt: Date | null;
  attempts: number;
}

export const OutboxEventSchema = new EntitySchema<OutboxEvent>({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  properties: {
    id: { type: 'string', primary: true, length: 26 },
    subject: { type: 'string' },
    payload: { type: 'json' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    publishedAt: { type: 'Date', nullable: true },
    attempts: { type: 'integer', default: 0 },
  },
});

/** A new event as its outbox row holds it, before it is written (by the ORM or by a service's own SQL). */
export interface NewOutboxEvent {
  id: string;
  subject: string;
  payload: StoredEnvelope;
  createdAt: Date;
}

/** Each subject's data schema compiled on first use: the same check as `Value.Check`, without walking the schema. */
const dataChecks = new Map<EventSubject, Validator>();
function dataCheckOf(type: EventSubject): Validator {
  let check = dataChecks.get(type);
  if (!check) {
    check = Compile(EVENT_DATA_SCHEMAS[type]) as unknown as Validator;
    dataChecks.set(type, check);
  }
  return check;
}

/**
 * The one way an event's envelope is built: its data checked against the subject's schema, a new id, the
 * request (or consumed event) it was caused by and that work's context, and with tracing on the trace
 * context the relay's producer span continues from.
 */
export function newOutboxEvent<S extends EventSubject>(
  type: S,
  data: EventDataBySubject[S],
  requestId?: string,
): NewOutboxEvent {
  if (!dataCheckOf(type).Check(data)) {
    throw new Error(`event ${type} does not match its schema`);
  }
  const id = newId();
  const createdAt = new Date();
  const payload: EventEnvelope<S> = { id, type, occurredAt: createdAt.toISOString(), version: 1, data };
  const context = currentEventContext();
  const causedBy = requestId ?? context?.requestId;
  if (causedBy) payload.requestId = causedBy;
  if (context) payload.context = context;
  const stored: StoredEnvelope = payload as EventEnvelope;
  const traceContext = currentTraceCarrier();
  if (traceContext) stored.traceContext = traceContext;
  return { id, subject: type, payload: stored, createdAt };
}

/**
 * Adds an event to the outbox in the caller's unit of work, so it commits (or not)
 * with the change it describes. The relay publishes it afterwards.
 */
export function recordEvent<S extends EventSubject>(
  em: EntityManager,
  type: S,
  data: EventDataBySubject[S],
  requestId?: string,
): OutboxEvent {
  return em.create(OutboxEventSchema, { ...newOutboxEvent(type, data, requestId), publishedAt: null, attempts: 0 });
}

const codec = StringCodec();
const BATCH = 100;

/** A connection of the ORM's pool, as knex hands it out (a pg client: a string of statements answers one result each). */
interface PooledConnection {
  query(text: string): Promise<unknown>;
  end?(): Promise<void>;
}
interface KnexClient {
  acquireConnection(): Promise<PooledConnection>;
  releaseConnection(connection: PooledConnection): Promise<unknown>;
}

/** The pass's first round trip (see OutboxRelay.lockPending). */
const LOCK_PENDING_SQL = `begin;
  select id, subject, payload, (extract(epoch from created_at) * 1000)::float8 as created_ms from outbox_events
  where published_at is null and (select pg_try_advisory_xact_lock(hashtext('gatehouse.outbox-relay')))
  order by id limit ${BATCH} for update`;

/**
 * Publishes committed outbox rows to JetStream with the event id as Nats-Msg-Id, so the
 * server drops a duplicate when a crash between publish and mark makes us send it twice.
 * Runs on a timer and whenever kicked after a commit; a NATS outage just leaves rows waiting.
 */
export class OutboxRelay {
  private readonly pump: Pump;
  /** Null while tracing is off: then a publish is exactly what it was without tracing. */
  private readonly tracer: Tracer | null;

  constructor(
    private readonly em: EntityManager,
    private readonly messaging: Messaging,
    private readonly logger: Logger,
    intervalMs = 1000,
  ) {
    this.tracer = tracerFor(logger);
    this.pump = new Pump({ name: 'outbox-relay', pass: () => this.drain(), logger, intervalMs });
  }

  start(): void {
    this.pump.start();
  }

  /** Ask for a publish pass now (coalesces with one already running). */
  kick(): void {
    this.pump.kick();
  }

  stop(): Promise<void> {
    return this.pump.stop();
  }

  /** Publishes until nothing is pending; resolves when a pass finds the outbox empty. */
  async drain(): Promise<void> {
    for (;;) {
      const published = await this.publishBatch();
      if (published < BATCH) return;
    }
  }

  /**
   * One pass over up to BATCH pending rows, in two round trips to the database: the transaction's start, the relay
   * lock and the SELECT in one, then the UPDATEs marking the rows and the commit in one (each round trip is a
   * socket write and a wake-up of the database, the largest part of a pass's CPU). Between them, the publishes.
   * Ordering rule: consumers apply events in stream order with no version check (the
   * membership read model upserts on member.added/role_changed and deletes on member.removed and
   * organization.deleted), so two events of one organization must reach the stream in id order. The batch
   * is therefore split by organization (`data.organizationId`; events naming none form one group of their
   * own): each group publishes sequentially, the groups concurrently. A failed publish stops its group, so
   * nothing of that organization overtakes it; its row stays pending with attempts + 1, and the rows after
   * it in the group stay pending untouched, as before.
   */
  private async publishBatch(): Promise<number> {
    const client = this.em.getConnection().getKnex().client as unknown as KnexClient;
    const connection = await client.acquireConnection();
    try {
      const rows = await this.lockPending(connection);
      const { published, failed, oldestWaiting } = await this.publishRows(rows);
      const platform = this.em.getPlatform();
      // `in (?)`: a list parameter expands to its quoted values (MikroORM's and knex's `?`), never an array.
      const marks = [
        published.length > 0 &&
          platform.formatQuery('update outbox_events set published_at = now() where id in (?)', [published]),
        failed.length > 0 &&
          platform.formatQuery('update outbox_events set attempts = attempts + 1 where id in (?)', [failed]),
        'commit',
      ].filter(Boolean);
      await connection.query(marks.join(';\n'));
      outboxOldestPending.set(oldestWaiting === null ? 0 : (Date.now() - oldestWaiting) / 1000);
      return published.length;
    } catch (error) {
      // Unmarked rows stay pending (and are published again, deduplicated by their id), as with any failed pass.
      // A connection whose rollback failed may still be inside the transaction: ended, never pooled as it is
      // (knex's pool validates a connection before handing it out and discards an ended one).
      await connection.query('rollback').catch(() => connection.end?.());
      throw error;
    } finally {
      await client.releaseConnection(connection);
    }
  }

  /**
   * Opens the pass's transaction and answers the pending rows, locked until it ends; none while another replica's
   * relay holds the relay lock. One relay at a time per service (replicas share the database), so events leave in id
   * order; SKIP LOCKED alone would let two replicas publish interleaved batches out of order. The lock is the
   * scan's one-time filter: taken once, before any row is read.
   */
  private async lockPending(connection: PooledConnection): Promise<PendingRow[]> {
    const results = (await connection.query(LOCK_PENDING_SQL)) as unknown as Array<{ rows: PendingRow[] }>;
    return results[1]?.rows ?? [];
  }

  /** Publishes the batch by ordering key (see publishBatch): which were acknowledged, which failed. */
  private async publishRows(rows: PendingRow[]) {
    const published: string[] = [];
    const failed: string[] = [];
    let oldestWaiting: number | null = null;
    await Promise.all(
      [...byOrderingKey(rows).values()].map(async (group) => {
        for (const row of group) {
          try {
            await this.publish(row.id, row.subject, row.payload);
          } catch (error) {
            failed.push(row.id);
            this.logger.warn(
              { err: error, eventId: row.id, subject: row.subject },
              'event publish failed; kept in outbox',
            );
            oldestWaiting = Math.min(oldestWaiting ?? Number.POSITIVE_INFINITY, Number(row.created_ms));
            return;
          }
          outboxPublishLag.observe((Date.now() - Number(row.created_ms)) / 1000);
          published.push(row.id);
        }
      }),
    );
    return { published, failed, oldestWaiting: oldestWaiting as number | null };
  }

  private async publish(id: string, eventSubject: string, payload: StoredEnvelope): Promise<void> {
    const subject = this.messaging.subject(eventSubject);
    const traceContext = payload.traceContext;
    const body = codec.encode(JSON.stringify(traceContext ? withoutTraceContext(payload) : payload));
    if (!this.tracer) {
      await this.messaging.js.publish(subject, body, { msgID: id });
      return;
    }
    // A child of the span that recorded the event (the request), however long after it the relay runs.
    const parent = contextFromCarrier(traceContext);
    const span = this.tracer.startSpan(
      `publish ${eventSubject}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.destination.name': subject,
          'messaging.message.id': id,
        },
      },
      parent,
    );
    const traced = trace.setSpan(parent, span);
    const sent: MsgHdrs = headers();
    // The consumer's span continues from this one (consumer.ts).
    propagation.inject(traced, sent, natsHeaderSetter);
    try {
      await context.with(traced, () => this.messaging.js.publish(subject, body, { msgID: id, headers: sent }));
      endSpan(span);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }
}

/** An outbox row the relay reads: the jsonb payload parsed, the creation as epoch milliseconds. */
interface PendingRow {
  id: string;
  subject: string;
  payload: StoredEnvelope;
  created_ms: number;
}

/**
 * The batch in groups that must publish in order (see publishBatch): one per organization the event's data
 * names, one more for events naming none. Each group keeps the batch's id order.
 */
function byOrderingKey(rows: PendingRow[]): Map<string, PendingRow[]> {
  const groups = new Map<string, PendingRow[]>();
  for (const row of rows) {
    const organizationId = (row.payload.data as { organizationId?: unknown } | undefined)?.organizationId;
    const key = typeof organizationId === 'string' ? `organization:${organizationId}` : 'none';
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** The envelope as consumers receive it: the stored trace context rides in a header instead. */
function withoutTraceContext(stored: StoredEnvelope): EventEnvelope {
  const { traceContext: _carried, ...envelope } = stored;
  return envelope;
}
