import {
  EVENT_DATA_SCHEMAS,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  newId,
} from '@gatehouse/contracts';
import { type EntityManager, EntitySchema, LockMode } from '@mikro-orm/postgresql';
import { StringCodec } from 'nats';
import { Value } from 'typebox/value';
import { currentEventContext } from './event-context.js';
import type { Logger } from './logger.js';
import type { Messaging } from './nats.js';
import { Pump } from './pump.js';

export interface OutboxEvent {
  id: string;
  subject: string;
  payload: EventEnvelope;
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
  if (!Value.Check(EVENT_DATA_SCHEMAS[type], data)) {
    throw new Error(`event ${type} does not match its schema`);
  }
  const id = newId();
  const payload: EventEnvelope<S> = { id, type, occurredAt: new Date().toISOString(), version: 1, data };
  const context = currentEventContext();
  const causedBy = requestId ?? context?.requestId;
  if (causedBy) payload.requestId = causedBy;
  if (context) payload.context = context;
  return em.create(OutboxEventSchema, {
    id,
    subject: type,
    payload: payload as EventEnvelope,
    createdAt: new Date(),
    publishedAt: null,
    attempts: 0,
  });
}

const codec = StringCodec();
const BATCH = 100;

/**
 * Publishes committed outbox rows to JetStream with the event id as Nats-Msg-Id, so the
 * server drops a duplicate when a crash between publish and mark makes us send it twice.
 * Runs on a timer and whenever kicked after a commit; a NATS outage just leaves rows waiting.
 */
export class OutboxRelay {
  private readonly pump: Pump;

  constructor(
    private readonly em: EntityManager,
    private readonly messaging: Messaging,
    private readonly logger: Logger,
    intervalMs = 1000,
  ) {
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

  private async publishBatch(): Promise<number> {
    return this.em.fork().transactional(async (em) => {
      // One relay at a time per service (replicas share the database), so events leave in id
      // order; SKIP LOCKED alone would let two replicas publish interleaved batches out of order.
      const [lock] = await em.execute<Array<{ acquired: boolean }>>(
        "select pg_try_advisory_xact_lock(hashtext('gatehouse.outbox-relay')) as acquired",
      );
      if (!lock?.acquired) return 0;
      const rows = await em.find(
        OutboxEventSchema,
        { publishedAt: null },
        { orderBy: { id: 'asc' }, limit: BATCH, lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      let published = 0;
      for (const row of rows) {
        try {
          await this.messaging.js.publish(
            this.messaging.subject(row.subject),
            codec.encode(JSON.stringify(row.payload)),
            {
              msgID: row.id,
            },
          );
        } catch (error) {
          row.attempts += 1;
          this.logger.warn(
            { err: error, eventId: row.id, subject: row.subject },
            'event publish failed; kept in outbox',
          );
          break;
        }
        row.publishedAt = new Date();
        published += 1;
      }
      return published;
    });
  }
}
