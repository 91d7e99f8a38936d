import { AppError, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent, type TenantAccess } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { isEnrolled } from '../factors/status.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { type OrganizationSecurity, OrganizationSecuritySchema } from '../mfa-policy/entities.js';
import { securitySettingsOf } from '../mfa-policy/service.js';

export interface SecuritySettings {
  mfaRequired: boolean;
  /** Null while the organization has never changed its defaults. */
  updatedAt: string | null;
}

export function presentSecuritySettings(settings: OrganizationSecurity | null): SecuritySettings {
  return {
    mfaRequired: settings?.mfaRequired ?? false,
    updatedAt: settings?.updatedAt.toISOString() ?? null,
  };
}

export async function getSecuritySettings(ctx: IdentityContext, tenant: TenantAccess): Promise<SecuritySettings> {
  return presentSecuritySettings(await securitySettingsOf(readEm(ctx), tenant.organizationId));
}

/**
 * Turns the MFA requirement on or off. A sensitive change (step-up), and turning it on needs a factor
 * of the caller's own: an owner must not lock themselves out of their organization. The event makes
 * every gateway drop its cached principals, whose `mfaBlockedIn` it changes. `changed` is false for
 * a save that changes nothing (no write, no event).
 */
export async function updateSecuritySettings(
  ctx: IdentityContext,
  tenant: TenantAccess,
  input: { mfaRequired: boolean },
  requestId?: string,
): Promise<{ settings: SecuritySettings; changed: boolean }> {
  await requireFreshSecondFactor(ctx, tenant.principal);
  if (input.mfaRequired && !(await isEnrolled(readEm(ctx), tenant.principal.userId))) {
    throw new AppError('MFA_REQUIRED', 'Set up two-step verification on your own account before requiring it', {
      reason: 'enroll_first',
      enrollUrl: '/account/security',
    });
  }
  return commit(ctx, async (em) => {
    const current = await securitySettingsOf(em, tenant.organizationId);
    if ((current?.mfaRequired ?? false) === input.mfaRequired) {
      return { settings: presentSecuritySettings(current), changed: false };
    }
    const written = await writeSettings(em, tenant, input.mfaRequired);
    if (!written) {
      // Another owner saved the same value between the read and the write: theirs is the change.
      const stored = await em.findOne(
        OrganizationSecuritySchema,
        { organizationId: tenant.organizationId },
        { refresh: true },
      );
      return { settings: presentSecuritySettings(stored), changed: false };
    }
    recordEvent(
      em,
      EVENT_SUBJECTS.organizationSecurityUpdated,
      { organizationId: tenant.organizationId, mfaRequired: input.mfaRequired },
      requestId,
    );
    return { settings: presentSecuritySettings(written), changed: true };
  });
}

/**
 * One statement, so two owners saving at once cannot both insert, and the one whose value is already
 * stored writes nothing. The row written, or null when nothing changed.
 */
async function writeSettings(
  em: EntityManager,
  tenant: TenantAccess,
  mfaRequired: boolean,
): Promise<OrganizationSecurity | null> {
  const rows: Array<{ mfa_required: boolean; updated_at: Date; updated_by: string }> = await em.execute(
    `insert into organization_security (organization_id, mfa_required, updated_at, updated_by)
     values (?, ?, now(), ?)
     on conflict (organization_id) do update
       set mfa_required = excluded.mfa_required, updated_at = excluded.updated_at, updated_by = excluded.updated_by
       where organization_security.mfa_required is distinct from excluded.mfa_required
     returning mfa_required, updated_at, updated_by`,
    [tenant.organizationId, mfaRequired, tenant.principal.userId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    organizationId: tenant.organizationId,
    mfaRequired: row.mfa_required,
    updatedAt: new Date(row.updated_at),
    updatedBy: row.updated_by,
  };
}
