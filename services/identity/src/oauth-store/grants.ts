import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { announceRevocation } from '../credentials/revocation.js';
import { type OidcPayload, OidcPayloadSchema } from './entities.js';

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

/** The user's grants that have not expired. */
export function liveGrantsOf(userId: string): FilterQuery<OidcPayload> & Record<string, unknown> {
  return { model: 'Grant', accountId: userId, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
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

/** Destroys every grant matching `where` (one app's, or one user's), each announced. */
export async function destroyGrants(
  em: EntityManager,
  where: { clientId: string } | { accountId: string },
  requestId?: string,
): Promise<void> {
  const grants = await em.find(OidcPayloadSchema, { model: 'Grant', ...where }, { fields: ['id'] });
  for (const grant of grants) await destroyGrant(em, grant.id, requestId);
}

/** Whatever oidc-provider still keeps for one client or one account (codes, sessions, revoked-token marks). */
export async function deleteRecords(em: EntityManager, where: { clientId: string } | { accountId: string }) {
  await em.nativeDelete(OidcPayloadSchema, where);
}
