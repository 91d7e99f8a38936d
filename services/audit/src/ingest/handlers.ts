import { EVENT_SUBJECTS, type EventEnvelope, type EventSubject } from '@gatehouse/contracts';
import type { EventHandler, Logger } from '@gatehouse/service-kit';
import { activityRecorded } from './activity.js';
import { memberAdded, memberRemoved, memberRoleChanged } from './members.js';
import {
  organizationCreated,
  organizationDeleted,
  organizationSecurityUpdated,
  organizationUpdated,
} from './organizations.js';
import type { Ingest } from './record.js';
import { credentialRevoked, userDeleted, userRegistered, userSecurityChanged, userUpdated } from './users.js';

/** A handler for every subject of the catalogue: a new subject does not compile until the audit log decides. */
export type IngestHandlers = { [S in EventSubject]: EventHandler<S> };

export function ingestHandlers(logger: Logger): IngestHandlers {
  const on =
    <S extends EventSubject>(handle: (ingest: Ingest, event: EventEnvelope<S>) => Promise<void>): EventHandler<S> =>
    (event, em) =>
      handle({ em, logger }, event);
  return {
    [EVENT_SUBJECTS.userRegistered]: on(userRegistered),
    [EVENT_SUBJECTS.userUpdated]: on(userUpdated),
    [EVENT_SUBJECTS.userDeleted]: on(userDeleted),
    [EVENT_SUBJECTS.userSecurityChanged]: on(userSecurityChanged),
    [EVENT_SUBJECTS.credentialRevoked]: on(credentialRevoked),
    [EVENT_SUBJECTS.organizationSecurityUpdated]: on(organizationSecurityUpdated),
    [EVENT_SUBJECTS.organizationCreated]: on(organizationCreated),
    [EVENT_SUBJECTS.organizationUpdated]: on(organizationUpdated),
    [EVENT_SUBJECTS.organizationDeleted]: on(organizationDeleted),
    [EVENT_SUBJECTS.memberAdded]: on(memberAdded),
    [EVENT_SUBJECTS.memberRoleChanged]: on(memberRoleChanged),
    [EVENT_SUBJECTS.memberRemoved]: on(memberRemoved),
    // The member.* events organization records next carry the directory as their actor: they are the record.
    [EVENT_SUBJECTS.directoryMembershipsChanged]: async () => {},
    [EVENT_SUBJECTS.identityActivity]: on(activityRecorded),
    [EVENT_SUBJECTS.organizationActivity]: on(activityRecorded),
    [EVENT_SUBJECTS.projectActivity]: on(activityRecorded),
    [EVENT_SUBJECTS.gatewayActivity]: on(activityRecorded),
    [EVENT_SUBJECTS.billingActivity]: on(activityRecorded),
    // Its effects (a plan, the read-only state) are recorded as billing activities: the change itself is not a record.
    [EVENT_SUBJECTS.billingEntitlementsChanged]: async () => {},
    // Identity's note to gateways that it has applied a read-only change: billing's activities are the record.
    [EVENT_SUBJECTS.organizationReadOnlyChanged]: async () => {},
  };
}
