import { type ActivityRecorded, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Invite } from './invites/entities.js';

type OrganizationAction = 'invitation.created' | 'invitation.revoked' | 'invitation.accepted';

/**
 * An audit action no domain event says (docs/audit-logs.md), recorded in the caller's transaction so it
 * commits with the change; the request's actor, ip, userAgent and requestId come along (service-kit).
 * `userId` is the person who acted (or, on an acceptance, who joined).
 */
export function recordActivity(
  em: EntityManager,
  action: OrganizationAction,
  activity: Pick<ActivityRecorded, 'organizationId' | 'userId' | 'target' | 'changes'>,
): void {
  recordEvent(em, EVENT_SUBJECTS.organizationActivity, {
    action,
    organizationId: activity.organizationId,
    userId: activity.userId,
    target: activity.target,
    ...(activity.changes && { changes: activity.changes }),
    outcome: 'success',
  });
}

/** An invitation as a record names it: its id, and the address it went to. */
export function invitationTarget(invite: Invite): ActivityRecorded['target'] {
  return { type: 'invitation', id: invite.id, name: invite.email };
}
