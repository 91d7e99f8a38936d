import { type AuthenticatedPrincipal, notFound } from '@gatehouse/contracts';
import { findPage, likePattern, type PageRequest } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { apiAudience, commit, type IdentityContext, readEm } from '../context.js';
import { OAuthAppSchema, type OidcPayload, OidcPayloadSchema } from '../oauth-store/entities.js';
import { destroyGrant, type GrantPayload, grantedScopes, liveGrantsOf } from '../oauth-store/grants.js';

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
export async function exportForUser(ctx: IdentityContext, userId: string) {
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
