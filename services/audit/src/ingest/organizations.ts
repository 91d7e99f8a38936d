import type { EVENT_SUBJECTS, EventEnvelope } from '@gatehouse/contracts';
import { fieldChanges } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { fitsId, fitText } from '../records/append.js';
import { type Ingest, recordFrom } from './record.js';

type OrganizationEvent = EventEnvelope<
  | typeof EVENT_SUBJECTS.organizationCreated
  | typeof EVENT_SUBJECTS.organizationUpdated
  | typeof EVENT_SUBJECTS.organizationDeleted
>;
type SecurityEvent = EventEnvelope<typeof EVENT_SUBJECTS.organizationSecurityUpdated>;

interface OrganizationNames {
  name: string;
  slug: string;
}

/** The audit service's copy of an organization's name and slug (table `organizations`): targets' names. */
async function organizationOf(em: EntityManager, organizationId: string): Promise<OrganizationNames | null> {
  const rows = (await em.execute('select name, slug from organizations where organization_id = ?', [
    organizationId,
  ])) as OrganizationNames[];
  return rows[0] ?? null;
}

async function keepOrganization(em: EntityManager, event: OrganizationEvent): Promise<void> {
  const { organizationId, name, slug } = event.data;
  if (!fitsId(organizationId)) return;
  await em.execute(
    `insert into organizations (organization_id, name, slug) values (?, ?, ?)
     on conflict (organization_id) do update set name = excluded.name, slug = excluded.slug`,
    [organizationId, fitText(name, 200), fitText(slug, 63)],
  );
}

const organizationTarget = (event: OrganizationEvent) => ({
  type: 'organization',
  id: event.data.organizationId,
  name: event.data.name,
});

export async function organizationCreated(ingest: Ingest, event: OrganizationEvent): Promise<void> {
  await keepOrganization(ingest.em, event);
  await recordFrom(ingest, event, {
    log: { organizationId: event.data.organizationId },
    action: 'organization.created',
    target: organizationTarget(event),
  });
}

/** Before: what the event says it was (newer producers), else the copy the audit service kept. */
export async function organizationUpdated(ingest: Ingest, event: OrganizationEvent): Promise<void> {
  const before = event.data.previous ?? (await organizationOf(ingest.em, event.data.organizationId));
  await keepOrganization(ingest.em, event);
  await recordFrom(ingest, event, {
    log: { organizationId: event.data.organizationId },
    action: 'organization.updated',
    target: organizationTarget(event),
    changes: before ? (fieldChanges(before, event.data, ['name', 'slug']) ?? null) : null,
  });
}

export async function organizationDeleted(ingest: Ingest, event: OrganizationEvent): Promise<void> {
  await recordFrom(ingest, event, {
    log: { organizationId: event.data.organizationId },
    action: 'organization.deleted',
    target: organizationTarget(event),
  });
  await ingest.em.execute('delete from organizations where organization_id = ?', [event.data.organizationId]);
}

export async function organizationSecurityUpdated(ingest: Ingest, event: SecurityEvent): Promise<void> {
  const { organizationId, mfaRequired } = event.data;
  const organization = await organizationOf(ingest.em, organizationId);
  await recordFrom(ingest, event, {
    log: { organizationId },
    action: 'organization.security_updated',
    target: { type: 'organization', id: organizationId, name: organization?.name ?? null },
    changes: { mfaRequired: { after: mfaRequired } },
  });
}
