import type { ActivityRecorded } from '@gatehouse/contracts';
import type { Invite } from './invites/entities.js';

/**
 * An invitation as an audit record names it (the actions no domain event says, docs/audit-logs.md, are
 * recorded with service-kit's recordActivity on EVENT_SUBJECTS.organizationActivity): its id, and the
 * address it went to.
 */
export function invitationTarget(invite: Invite): ActivityRecorded['target'] {
  return { type: 'invitation', id: invite.id, name: invite.email };
}
