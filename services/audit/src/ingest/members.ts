import type { EVENT_SUBJECTS, EventEnvelope } from '@gatehouse/contracts';
import { nameOf } from '../people/people.js';
import { type Ingest, recordFrom } from './record.js';

type MemberEvent = EventEnvelope<
  typeof EVENT_SUBJECTS.memberAdded | typeof EVENT_SUBJECTS.memberRoleChanged | typeof EVENT_SUBJECTS.memberRemoved
>;

async function recordMember(
  ingest: Ingest,
  event: MemberEvent,
  action: string,
  role: { before?: unknown; after?: unknown },
): Promise<void> {
  const { organizationId, userId } = event.data;
  await recordFrom(ingest, event, {
    log: { organizationId },
    action,
    target: { type: 'member', id: userId, name: await nameOf(ingest.em, userId) },
    changes: { role },
  });
}

export function memberAdded(ingest: Ingest, event: EventEnvelope<typeof EVENT_SUBJECTS.memberAdded>) {
  return recordMember(ingest, event, 'member.added', { after: event.data.role });
}

/** Older producers did not say the role before: the record then has only the role after. */
export function memberRoleChanged(ingest: Ingest, event: EventEnvelope<typeof EVENT_SUBJECTS.memberRoleChanged>) {
  const { previousRole, role } = event.data;
  return recordMember(ingest, event, 'member.role_changed', {
    ...(previousRole !== undefined && { before: previousRole }),
    after: role,
  });
}

export function memberRemoved(ingest: Ingest, event: EventEnvelope<typeof EVENT_SUBJECTS.memberRemoved>) {
  return recordMember(ingest, event, 'member.removed', { before: event.data.role });
}
