import type { EventActor, EventEnvelope, EventSubject } from '@gatehouse/contracts';
import { consumedEventContext } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { nameOf } from '../people/people.js';
import type { RecordDraft } from '../records/append.js';

/** What every record made from an event takes from it: who acted, from where, when, and the event's id. */
export type Provenance = Pick<RecordDraft, 'actor' | 'ip' | 'userAgent' | 'requestId' | 'occurredAt' | 'eventId'>;

/** The part of the system that published a subject (`events.identity.…` → `identity`). */
export function producerOf(subject: EventSubject): string {
  return subject.split('.')[1] ?? 'system';
}

/**
 * Who acted: the request the event was recorded while serving, else the actor the event names itself (a
 * sign-in has no credential yet), else the producer's own work. A person is named as the people model knows them.
 */
export async function actorOfEvent(
  em: EntityManager,
  event: EventEnvelope,
  named?: EventActor,
): Promise<RecordDraft['actor']> {
  const actor = consumedEventContext(event)?.actor ?? named ?? { type: 'system', id: producerOf(event.type) };
  const personId = actor.type === 'user' ? actor.id : actor.userId;
  return { type: actor.type, id: actor.id, userId: personId ?? null, name: await nameOf(em, personId) };
}

export async function provenanceOf(em: EntityManager, event: EventEnvelope, named?: EventActor): Promise<Provenance> {
  const context = consumedEventContext(event);
  return {
    actor: await actorOfEvent(em, event, named),
    ip: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
    requestId: context?.requestId ?? event.requestId ?? null,
    occurredAt: new Date(event.occurredAt),
    eventId: event.id,
  };
}
