import { AppError, type AuthenticatedPrincipal } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type IdentityContext, readEm } from '../context.js';
import { emailDomain, normalizeEmail } from '../users/queries.js';

/*
 * `ssoRequired` (docs/sso.md): for an address in a domain an organization verified, served by one of
 * its enabled connections with `sso_required`, a password is no way in. This sits below sessions/,
 * passwords/ and api-keys/ (which call it) and above nothing but users/, so it reads sso_connections
 * and organization_domains with SQL rather than through sso/, which sits above them all.
 */

/** Where the browser starts an SSO sign-in for an address (identify answers it, SSO_REQUIRED names it). */
export function discoverUrl(ctx: IdentityContext, email: string): URL {
  const discover = new URL('/api/auth/sso/discover', ctx.config.PUBLIC_URL);
  discover.searchParams.set('email', normalizeEmail(email));
  return discover;
}

/**
 * The rule as SQL: the organization (`organization_id`) requiring SSO for a domain, the domain bound
 * twice (`ssoRequiringParams`). A subquery, so a caller's statement can ask it with other things.
 */
export const SSO_REQUIRING_ORGANIZATION = `select d.organization_id from organization_domains d
       join sso_connections c on c.organization_id = d.organization_id
      where d.domain = ? and d.verified_at is not null
        and c.enabled and c.sso_required and ? = any (c.domains)
      limit 1`;

/** SSO_REQUIRING_ORGANIZATION's parameters for an address (an address without a domain matches no row). */
export function ssoRequiringParams(email: string): [string, string] {
  const domain = emailDomain(email);
  return [domain, domain];
}

/** The organization that requires SSO for this address, or null when a password may be used. */
export async function organizationRequiringSso(em: EntityManager, email: string): Promise<string | null> {
  if (!emailDomain(email)) return null;
  const rows: Array<{ organization_id: string }> = await em.execute(
    SSO_REQUIRING_ORGANIZATION,
    ssoRequiringParams(email),
  );
  return rows[0]?.organization_id ?? null;
}

/** Identity's membership read model says this user owns the organization. */
async function isOwner(em: EntityManager, organizationId: string, userId: string): Promise<boolean> {
  const rows = await em.execute(
    `select 1 from user_memberships where organization_id = ? and user_id = ? and role = 'owner'`,
    [organizationId, userId],
  );
  return rows.length > 0;
}

export function ssoRequiredError(ctx: IdentityContext, email: string): AppError {
  return new AppError('SSO_REQUIRED', 'This organization requires signing in through single sign-on', {
    ssoRedirectUrl: discoverUrl(ctx, email).toString(),
  });
}

/**
 * The refusal a password (sign-in or reset) meets for an address whose organization requires SSO,
 * or null. Its owners are exempt — the break-glass path, so a broken or misconfigured IdP cannot lock
 * the organization out of its own settings. `ownerCandidate` is the account the password proved, or null.
 */
export async function passwordRefusal(
  ctx: IdentityContext,
  email: string,
  ownerCandidate: string | null,
  em: EntityManager = readEm(ctx),
): Promise<AppError | null> {
  const organizationId = await organizationRequiringSso(em, email);
  if (!organizationId) return null;
  if (ownerCandidate && (await isOwner(em, organizationId, ownerCandidate))) return null;
  return ssoRequiredError(ctx, email);
}

export async function checkPasswordAllowed(
  ctx: IdentityContext,
  email: string,
  ownerCandidate: string | null,
  em?: EntityManager,
): Promise<void> {
  const refusal = await passwordRefusal(ctx, email, ownerCandidate, em);
  if (refusal) throw refusal;
}

/**
 * A new PAT holds as much as a sign-in, so it needs one SSO would allow: a session that came through
 * SSO. A key cannot create one for such an account (no record says which session started a lineage),
 * nor can a password session, except an owner's (break-glass).
 */
export async function checkKeyCreationAllowed(ctx: IdentityContext, principal: AuthenticatedPrincipal): Promise<void> {
  const em = readEm(ctx);
  const rows: Array<{ email: string; sso_connection_id: string | null }> = await em.execute(
    `select u.email, s.sso_connection_id from users u
       left join sessions s on s.id = ? and s.user_id = u.id
      where u.id = ?`,
    [principal.kind === 'session' ? principal.credentialId : null, principal.userId],
  );
  const [row] = rows;
  if (!row || row.sso_connection_id) return;
  await checkPasswordAllowed(ctx, row.email, principal.userId, em);
}
