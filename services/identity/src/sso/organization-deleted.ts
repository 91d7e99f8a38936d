import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A deleted organization's SSO goes with it: its connections (their linked identities and started
 * sign-ins cascade) and its domains, so a domain it had verified can be claimed by another.
 */
export async function forgetOrganizationSso(em: EntityManager, organizationId: string): Promise<void> {
  await em.execute('delete from sso_connections where organization_id = ?', [organizationId]);
  await em.execute('delete from organization_domains where organization_id = ?', [organizationId]);
}
