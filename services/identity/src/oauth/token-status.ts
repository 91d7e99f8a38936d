import { type AccessTokenFacts, isTokenScope, type TokenScope } from '@gatehouse/contracts';
import { findLiveKey } from '../api-keys/service.js';
import { apiAudience, type IdentityContext, readEm } from '../context.js';
import { findClient } from '../oauth-store/clients.js';
import { OidcPayloadSchema } from '../oauth-store/entities.js';
import { type GrantPayload, grantedScopes } from '../oauth-store/grants.js';
import { findUserById } from '../users/queries.js';

/** A revoked JWT access token is remembered by its `jti` until it would have expired anyway. */
export const REVOKED_ACCESS_TOKEN_MODEL = 'RevokedAccessToken';

export type AccessTokenStatus =
  | {
      live: true;
      userId: string;
      role: 'user' | 'admin';
      scopes: TokenScope[];
      credentialId: string;
      /** The app's pin (an app registered with a pinned key): every token of it carries it. */
      organizationId: string | null;
      /** When what the token stands on ends by itself (the key that minted the app's secret). */
      standsUntil: Date | null;
    }
  | { live: false; reason: 'INVALID_OR_EXPIRED_TOKEN' | 'USER_NOT_ACTIVE' };

const DEAD = { live: false, reason: 'INVALID_OR_EXPIRED_TOKEN' } as const;

/**
 * Whether what stands behind a signature-valid access token still holds: the token was not
 * revoked, the app exists, the grant stands (or, for client credentials, the app's owner and
 * the key that minted the app's secret, if a key did), the user is active. Its scopes shrink to
 * what the grant and the app allow today.
 */
export async function accessTokenStatus(ctx: IdentityContext, facts: AccessTokenFacts): Promise<AccessTokenStatus> {
  const em = readEm(ctx);
  const live = { $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
  const [revoked, app, grant] = await Promise.all([
    em.count(OidcPayloadSchema, { model: REVOKED_ACCESS_TOKEN_MODEL, id: facts.tokenId }),
    findClient(em, facts.clientId),
    facts.grantId ? em.findOne(OidcPayloadSchema, { model: 'Grant', id: facts.grantId, ...live }) : null,
  ]);
  if (revoked > 0 || !app) return DEAD;

  let userId: string;
  let standsUntil: Date | null = null;
  let allowed = new Set(app.allowedScopes);
  if (facts.grantId) {
    if (!grant?.accountId || grant.accountId !== facts.userId || grant.clientId !== facts.clientId) return DEAD;
    userId = grant.accountId;
    const granted = new Set(grantedScopes(grant.payload as GrantPayload, apiAudience(ctx)));
    allowed = new Set([...allowed].filter((scope) => granted.has(scope)));
  } else {
    // Client credentials act for the app's owner (docs/oauth.md "Machine clients").
    // A voided secret (account recovery) ends them too, whatever the second they were issued in.
    if (app.clientType !== 'confidential' || !app.ownerUserId || !app.secretHash) return DEAD;
    // Rotating a leaked secret must end what was obtained with it.
    if (app.secretChangedAt && facts.issuedAt < Math.floor(app.secretChangedAt.getTime() / 1000)) return DEAD;
    userId = app.ownerUserId;
    // A secret minted by a key is that key's delegation: it stands while the key does.
    if (app.registeredByKeyId) {
      const key = await findLiveKey(em, app.registeredByKeyId, userId);
      if (!key) return DEAD;
      standsUntil = key.expiresAt;
      // …and reaches no further than that key, even if a session widened the app since.
      const held = new Set<string>(key.scopes);
      allowed = new Set([...allowed].filter((scope) => held.has(scope)));
    }
  }

  const user = await findUserById(em, userId);
  if (!user) return DEAD;
  if (!user.isActive) return { live: false, reason: 'USER_NOT_ACTIVE' };
  const scopes = facts.scopes.filter((scope): scope is TokenScope => isTokenScope(scope) && allowed.has(scope));
  return {
    live: true,
    userId,
    role: user.role,
    scopes,
    credentialId: facts.grantId ?? facts.clientId,
    organizationId: app.organizationId,
    standsUntil,
  };
}
