import { AUDIT_ACTIONS, type EVENT_SUBJECTS, type EventEnvelope, isAuditAction } from '@gatehouse/contracts';
import { type Ingest, recordFrom } from './record.js';

type Subjects = typeof EVENT_SUBJECTS;
type ActivityEvent = EventEnvelope<
  | Subjects['identityActivity']
  | Subjects['organizationActivity']
  | Subjects['projectActivity']
  | Subjects['gatewayActivity']
  | Subjects['billingActivity']
>;

/**
 * An activity event makes the record it names, but only for an action its own subject is the source of: a
 * producer cannot write another's actions (identity cannot forge `project.deleted`), nor a domain event's.
 * The log is the organization's when it names one, else the account's; with neither there is nowhere to put it.
 */
export async function activityRecorded(ingest: Ingest, event: ActivityEvent): Promise<void> {
  const { action, organizationId, userId, actor, target, changes, outcome, reason } = event.data;
  if (!isAuditAction(action) || AUDIT_ACTIONS[action].source !== event.type) {
    // The action is the producer's own text: only its length-bounded start goes to the log.
    ingest.logger.warn(
      { eventId: event.id, type: event.type, action: action.slice(0, 64) },
      'audit: activity names an action its subject is not the source of; no record',
    );
    return;
  }
  // The log is the catalogue's, not the producer's choice: a gateway event cannot land in an organization's log.
  const log =
    AUDIT_ACTIONS[action].log === 'organization'
      ? organizationId && { organizationId }
      : !organizationId && userId && { userId };
  if (!log) {
    ingest.logger.warn(
      { eventId: event.id, type: event.type, action },
      'audit: activity names the wrong log; no record',
    );
    return;
  }
  await recordFrom(ingest, event, {
    log,
    action,
    ...(actor && { actor }),
    target: { type: target.type, id: target.id, name: target.name ?? null },
    changes: changes ?? null,
    outcome,
    reason: reason ?? null,
  });
}
