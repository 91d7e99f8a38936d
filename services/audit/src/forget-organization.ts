import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A deleted organization's endpoints (and their sealed secrets and queued deliveries) and settings go with it.
 * Its records stay, as an audit log must, until the retention period (the default's) has passed.
 */
export async function forgetOrganization(em: EntityManager, organizationId: string): Promise<void> {
  await em.execute('delete from webhooks where organization_id = ?', [organizationId]);
  await em.execute('delete from audit_settings where organization_id = ?', [organizationId]);
}
