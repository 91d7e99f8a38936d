import { type AuthenticatedPrincipal, notFound } from '@gatehouse/contracts';
import { findPage, likePattern, type PageRequest } from '@gatehouse/service-kit';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { apiAudience, commit, type IdentityContext, readEm } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import { type OidcPayload, OidcPayloadSchema } from '../oauth/entities.js';
import { OAuthAppSchema } from '../oauth-apps/entities.js';

/** The parts of oidc-provider's Grant payload Gatehouse reads. */
export interface GrantPayload {
  accountId?: string;
  clientId?: string;
  openid?: { scope?: string };
  resources?: Record<string, string>;
}

/** Every scope a grant holds: OpenID scopes plus the API scopes granted for this API. */
export function grantedScopes(payload: GrantPayload, resource: string): string[] {
  const openid = payload.openid?.scope?.split(' ') ?? [];
  const api = payload.resources?.[resource]?.split(' ') ?? [];
  return [...new Set([...openid, ...api].filter(Boolean))];
}

/**
 * Deletes a grant and every token issued under it, and announces it so gateways stop
 * accepting its access tokens. One transaction: the event exists if and only if the grant is gone.
 */
export async function destroyGrant(em: EntityManager, grantId: string, requestId?: string): Promise<boolean> {
  const grant = await em.findOne(OidcPayloadSchema, { model: 'Grant', id: grantId });
  await em.nativeDelete(OidcPayloadSchema, { grantId });
  if (!grant) return false;
  await em.nativeDelete(OidcPayloadSchema, { model: 'Grant', id: grantId });
  if (grant.accountId) {
    announceRevocation(em, { kind: 'oauth', id: grantId, userId: grant.accountId }, requestId);
  }
  return true;
}

function liveGrantsOf(userId: string): FilterQuery<OidcPayload> & Record<string, unknown> {
  return { model: 'Grant', accountId: userId, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
}

/** A grant as its user sees it: which app, which scopes, since and until when. */
async function presentGrants(ctx: IdentityContext, em: EntityManager, grants: OidcPayload[]) {
  const clientIds = [...new Set(grants.map((grant) => grant.clientId).filter((id): id is string => id !== null))];
  const apps = clientIds.length > 0 ? await em.find(OAuthAppSchema, { id: { $in: clientIds } }) : [];
  const names = new Map(apps.map((app) => [app.id, app.name]));
  return grants.map((grant) => ({
    id: grant.id,
    app: { clientId: grant.clientId, name: (grant.clientId && names.get(grant.clientId)) ?? null },
    scopes: grantedScopes(grant.payload as GrantPayload, apiAudience(ctx)),
    createdAt: grant.createdAt.toISOString(),
    expiresAt: grant.expiresAt?.toISOString() ?? null,
  }));
}

/** Destroys every grant matching `where` (one app's, or one user's), each announced. */
export async function destroyGrants(
  em: EntityManager,
  where: { clientId: string } | { accountId: string },
  requestId?: string,
): Promise<void> {
  const grants = await em.find(OidcPayloadSchema, { model: 'Grant', ...where }, { fields: ['id'] });
  for (const grant of grants) await destroyGrant(em, grant.id, requestId);
}

/** The apps the user has let in, a page at a time (newest first unless sorted otherwise). */
export async function listGrants(ctx: IdentityContext, userId: string, query: PageRequest & { q?: string }) {
  const em = readEm(ctx);
  const where = liveGrantsOf(userId);
  if (query.q) {
    // `q` matches the app's name.
    const apps = await em.find(OAuthAppSchema, { name: { $ilike: likePattern(query.q) } }, { fields: ['id'] });
    where.clientId = { $in: apps.map((app) => app.id) };
  }
  const page = await findPage(em, OidcPayloadSchema, where, query, {
    sortable: { createdAt: 'date', expiresAt: 'date' },
    defaultSort: '-createdAt',
  });
  return { items: await presentGrants(ctx, em, page.items), meta: page.meta };
}

/** Every live grant of the user (the account export). */
export async function allGrants(ctx: IdentityContext, userId: string) {
  const em = readEm(ctx);
  return presentGrants(
    ctx,
    em,
    await em.find(OidcPayloadSchema, liveGrantsOf(userId), { orderBy: { createdAt: 'desc' } }),
  );
}

export async function revokeGrant(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  grantId: string,
  requestId: string,
): Promise<void> {
  await commit(ctx, async (em) => {
    const grant = await em.findOne(OidcPayloadSchema, { model: 'Grant', id: grantId, accountId: principal.userId });
    if (!grant) throw notFound('Grant not found');
    await destroyGrant(em, grantId, requestId);
  });
}
