import { type EntitlementsChanged, EVENT_SUBJECTS, type ReadOnlyOrganization } from '@gatehouse/contracts';
import {
  type DurableConsumer,
  EntitlementsReadModel,
  type RecordedEntitlements,
  recordEvent,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Identity's copy of each organization's plan (table `organization_entitlements`): when it turns read-only.
 * A change of that deadline is announced only once stored, so a gateway purging on the announcement
 * re-resolves against the new deadline, never the old one.
 */
export function entitlementsConsumer(deps: ServiceDeps): DurableConsumer {
  return new EntitlementsReadModel(deps, 'identity-entitlements', announceReadOnlyChange).consumer();
}

/** In the consumer's transaction: the outbox commits the announcement with the stored deadline. */
function announceReadOnlyChange(em: EntityManager, data: EntitlementsChanged, recorded: RecordedEntitlements): void {
  if (!recorded.readOnlyAfterChanged) return;
  recordEvent(em, EVENT_SUBJECTS.organizationReadOnlyChanged, {
    organizationId: data.organizationId,
    readOnlyAfter: data.readOnlyAfter,
  });
}

/** Where a credential may only read now, and when the next of its organizations turns read-only. */
export interface ReadOnlyState {
  readOnlyIn: ReadOnlyOrganization[];
  /** The earliest read-only deadline still ahead, so a cached answer ends when it passes; null if none. */
  nextReadOnlyAt: Date | null;
}

interface DeadlineRow {
  organization_id: string;
  read_only_after: Date | string;
  upgrade_url: string;
}

/**
 * The user's organizations (identity's membership read model) whose unpaid grace period has ended or will end.
 * `pinnedTo` (a key or app token bound to one organization) narrows it to that one. An organization whose
 * entitlements never arrived is not read-only: billing being unknown applies no restriction.
 */
export async function readOnlyState(
  em: EntityManager,
  userId: string,
  pinnedTo: string | null,
  now = new Date(),
): Promise<ReadOnlyState> {
  const rows: DeadlineRow[] = await em.execute(
    `select e.organization_id, e.read_only_after, e.entitlements->>'upgradeUrl' as upgrade_url
       from organization_entitlements e
       join user_memberships m on m.organization_id = e.organization_id
      where m.user_id = ? and e.read_only_after is not null and (?::text is null or e.organization_id = ?)
      order by e.organization_id`,
    [userId, pinnedTo, pinnedTo],
  );
  const readOnlyIn: ReadOnlyOrganization[] = [];
  let nextReadOnlyAt: Date | null = null;
  for (const row of rows) {
    const since = new Date(row.read_only_after);
    if (since <= now) {
      readOnlyIn.push({ organizationId: row.organization_id, since: since.toISOString(), upgradeUrl: row.upgrade_url });
    } else if (!nextReadOnlyAt || since < nextReadOnlyAt) {
      nextReadOnlyAt = since;
    }
  }
  return { readOnlyIn, nextReadOnlyAt };
}

/** The organization's read-only state as identity has stored it: null when it is not read-only (or never heard of). */
export async function readOnlyOrganization(
  em: EntityManager,
  organizationId: string,
  now = new Date(),
): Promise<ReadOnlyOrganization | null> {
  const rows: Omit<DeadlineRow, 'organization_id'>[] = await em.execute(
    `select read_only_after, entitlements->>'upgradeUrl' as upgrade_url
       from organization_entitlements where organization_id = ? and read_only_after is not null`,
    [organizationId],
  );
  const row = rows[0];
  if (!row || new Date(row.read_only_after) > now) return null;
  return { organizationId, since: new Date(row.read_only_after).toISOString(), upgradeUrl: row.upgrade_url };
}
