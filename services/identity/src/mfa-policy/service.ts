import type { EntityManager } from '@mikro-orm/postgresql';
import { type OrganizationSecurity, OrganizationSecuritySchema } from './entities.js';

/**
 * The organizations (among the user's memberships) whose policy requires a second factor that this
 * credential has not met. `satisfied` says whether it has (a session that proved one; a key or an
 * app token whose owner is enrolled): then nothing is blocked and nothing is read.
 */
export async function blockedOrganizations(em: EntityManager, userId: string, satisfied: boolean): Promise<string[]> {
  if (satisfied) return [];
  const rows: Array<{ organization_id: string }> = await em.execute(
    `select s.organization_id from organization_security s
       join user_memberships m on m.organization_id = s.organization_id
      where m.user_id = ? and s.mfa_required
      order by s.organization_id`,
    [userId],
  );
  return rows.map((row) => row.organization_id);
}

/** An organization's settings row; null means the defaults (nothing required). */
export async function securitySettingsOf(
  em: EntityManager,
  organizationId: string,
): Promise<OrganizationSecurity | null> {
  return em.findOne(OrganizationSecuritySchema, { organizationId });
}

/** A deleted organization's settings go with it (called from the membership consumer's organization.deleted). */
export async function forgetOrganizationSecurity(em: EntityManager, organizationId: string): Promise<void> {
  await em.execute('delete from organization_security where organization_id = ?', [organizationId]);
}
