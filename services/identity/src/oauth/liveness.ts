import { type AccessTokenFacts, isTokenScope, type TokenScope } from '@gatehouse/contracts';
import { UserSchema } from '../accounts/entities.js';
import { apiAudience, type IdentityContext, readEm } from '../context.js';
import { OAuthAppSchema } from '../oauth-apps/entities.js';
import { type GrantPayload, grantedScopes } from '../oauth-grants/service.js';
import { OidcPayloadSchema } from './entities.js';

/** A revoked JWT access token is remembered by its `jti` until it would have expired anyway. */
export const REVOKED_ACCESS_TOKEN_MODEL = 'RevokedAccessToken';

export type AccessTokenStatus =
  | { live: true; userId: string; role: 'user' | 'admin'; scopes: TokenScope[]; credentialId: string }
  | { live: false; reason: 'INVALID_OR_EXPIRED_TOKEN' | 'USER_NOT_ACTIVE' };

const DEAD = { live: false, reason: 'INVALID_OR_EXPIRED_TOKEN' } as const;

/**
 * Whether what stands behind a signature-valid access token still holds: the token was not
 * revoked, the app exists, the grant stands (or, for client credentials, the app's owner),
 * the user is active. Its scopes shrink to what the grant and the app allow today.
 */
export async function accessTokenStatus(ctx: IdentityContext, facts: AccessTokenFacts): Promise<AccessTokenStatus> {
  const em = readEm(ctx);
  const live = { $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
  const [revoked, app, grant] = await Promise.all([
    em.count(OidcPayloadSchema, { model: REVOKED_ACCESS_TOKEN_MODEL, id: facts.tokenId }),
    em.findOne(OAuthAppSchema, { id: facts.clientId }),
    facts.grantId ? em.findOne(OidcPayloadSchema, { model: 'Grant', id: facts.grantId, ...live }) : null,
  ]);
  if (revoked > 0 || !app) return DEAD;

  let userId: string;
  let allowed = new Set(app.allowedScopes);
  if (facts.grantId) {
    if (!grant?.accountId || grant.accountId !== facts.userId || grant.clientId !== facts.clientId) return DEAD;
    userId = grant.accountId;
    const granted = new Set(grantedScopes(grant.payload as GrantPayload, apiAudience(ctx)));
    allowed = new Set([...allowed].filter((scope) => granted.has(scope)));
  } else {
    // Client credentials act for the app's owner (docs/oauth.md "Machine clients").
    if (app.clientType !== 'confidential' || !app.ownerUserId) return DEAD;
    // Rotating a leaked secret must end what was obtained with it.
    if (app.secretChangedAt && facts.issuedAt < Math.floor(app.secretChangedAt.getTime() / 1000)) return DEAD;
    userId = app.ownerUserId;
  }

  const user = await em.findOne(UserSchema, { id: userId });
  if (!user) return DEAD;
  if (!user.isActive) return { live: false, reason: 'USER_NOT_ACTIVE' };
  const scopes = facts.scopes.filter((scope): scope is TokenScope => isTokenScope(scope) && allowed.has(scope));
  return { live: true, userId, role: user.role, scopes, credentialId: facts.grantId ?? facts.clientId };
}
