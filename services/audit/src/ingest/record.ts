import type { EventActor, EventEnvelope } from '@gatehouse/contracts';
import type { Logger } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { journal } from '../journal/journal.js';
import { fitsId, type RecordDraft } from '../records/append.js';
import { provenanceOf } from './provenance.js';

/** What an event says happened; who, from where and when come from the event itself. */
export type Happening = Pick<RecordDraft, 'log' | 'action' | 'target' | 'changes' | 'outcome' | 'reason'> & {
  /** The actor the event names in its data (activity events of anonymous requests). */
  actor?: EventActor;
};

/** What every ingest handler shares: the transaction of the event, and where to say why it made no record. */
export interface Ingest {
  em: EntityManager;
  logger: Logger;
}

/**
 * Journals the record an event makes, in the event's transaction. A log id that is no id (a producer's bug)
 * makes no record rather than an event retried until parked: the stream must keep moving.
 */
export async function recordFrom(ingest: Ingest, event: EventEnvelope, happening: Happening): Promise<void> {
  const { actor, ...what } = happening;
  const logId = 'organizationId' in what.log ? what.log.organizationId : what.log.userId;
  if (!fitsId(logId)) {
    ingest.logger.warn({ eventId: event.id, type: event.type, action: what.action }, 'audit: log id unfit, no record');
    return;
  }
  await journal(ingest.em, { ...what, ...(await provenanceOf(ingest.em, event, actor)) });
}
