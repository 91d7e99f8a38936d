import { currentEventContext } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { queueRecordDeliveries } from '../endpoints/queue.js';
import { nameOf } from '../people/people.js';
import { appendRecord, type RecordDraft } from '../records/append.js';
import type { AuditRecordRow } from '../records/entities.js';

/** A draft whose provenance (actor, ip, userAgent, requestId) may come from the request or event being served. */
export type JournalDraft = Omit<RecordDraft, 'actor'> & { actor?: RecordDraft['actor'] };

/**
 * Records an action: appends it to its log's chain and, for an organization's log, queues it for the
 * organization's webhook endpoints that subscribe to it — in the caller's transaction, so a record and its
 * deliveries exist together or not at all. What the draft does not say about who and from where is taken from
 * the request being served (routeServer runs every handler in its context), else it is the system's own work.
 */
export async function journal(em: EntityManager, draft: JournalDraft): Promise<AuditRecordRow> {
  const record = await appendRecord(em, await withProvenance(em, draft));
  if (record.organizationId !== null) await queueRecordDeliveries(em, record);
  return record;
}

async function withProvenance(em: EntityManager, draft: JournalDraft): Promise<RecordDraft> {
  const context = currentEventContext();
  const actor: RecordDraft['actor'] = draft.actor ?? context?.actor ?? { type: 'system', id: 'audit' };
  // A person acting (themselves, or through a key or app) is named as the people model knows them.
  const personId = actor.type === 'user' ? actor.id : actor.userId;
  const name = actor.name ?? (await nameOf(em, personId));
  return {
    ...draft,
    actor: { ...actor, name },
    ip: draft.ip ?? context?.ip ?? null,
    userAgent: draft.userAgent ?? context?.userAgent ?? null,
    requestId: draft.requestId ?? context?.requestId ?? null,
  };
}
