import { readAccessToken, type VerifiedAccessToken } from '@gatehouse/contracts';
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { apiAudience, commit, type IdentityContext } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import { OidcPayloadSchema } from '../oauth-store/entities.js';
import { accessTokenStatus, REVOKED_ACCESS_TOKEN_MODEL } from './token-status.js';

/** A token this server signed: its claims (for introspection) and what Gatehouse reads of them. */
interface OwnToken {
  claims: JWTPayload;
  facts: VerifiedAccessToken;
}

function publicPart(key: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = key;
  return rest;
}

/**
 * oidc-provider refuses to introspect or revoke JWT access tokens (it does not store them).
 * This middleware runs after its client authentication has passed and it has answered
 * `unsupported_token_type`, and handles our own JWTs instead: introspection answers from the
 * signature plus the live state behind the token; revocation remembers the token's id until
 * it expires and tells the gateways.
 */
export function introspectAndRevokeJwts(ctx: IdentityContext, keys: JWK[], issuer: string) {
  const jwks = createLocalJWKSet({ keys: keys.map(publicPart) });
  const audience = apiAudience(ctx);

  async function verify(token: string): Promise<OwnToken | null> {
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' });
      const facts = readAccessToken(payload);
      return facts ? { claims: payload, facts } : null;
    } catch {
      return null;
    }
  }

  async function introspect(koa: KoaContextWithOIDC, token: OwnToken | null): Promise<void> {
    const client = koa.oidc.client;
    koa.status = 200;
    koa.body = { active: false };
    if (!token || !client) return;
    const { claims, facts } = token;
    // Only the client the token was issued to learns about it (as for refresh tokens, provider.ts).
    if (facts.clientId !== client.clientId) return;
    const status = await accessTokenStatus(ctx, facts);
    if (!status.live) return;
    koa.body = {
      active: true,
      token_type: 'Bearer',
      scope: status.scopes.join(' '),
      client_id: facts.clientId,
      sub: claims.sub,
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
    };
  }

  async function revoke(koa: KoaContextWithOIDC, token: OwnToken | null): Promise<void> {
    // RFC 7009 §2.2: an invalid or unknown token is not an error.
    koa.status = 200;
    koa.body = '';
    const client = koa.oidc.client;
    if (!token || !client || token.facts.clientId !== client.clientId) return;
    const { facts } = token;
    const status = await accessTokenStatus(ctx, facts);
    if (!status.live) return;
    await commit(ctx, async (em) => {
      await em.upsert(
        OidcPayloadSchema,
        {
          model: REVOKED_ACCESS_TOKEN_MODEL,
          id: facts.tokenId,
          payload: { revokedBy: client.clientId },
          grantId: null,
          uid: null,
          userCode: null,
          accountId: status.userId,
          clientId: facts.clientId,
          createdAt: new Date(),
          expiresAt: new Date(facts.expiresAt * 1000),
          consumedAt: null,
        },
        { onConflictFields: ['model', 'id'], onConflictAction: 'ignore' },
      );
      announceRevocation(em, { kind: 'oauth', id: facts.tokenId, userId: status.userId });
    });
  }

  return async function jwtIntrospection(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    const route = koa.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    const answer = koa.body as { error?: string } | undefined;
    if (koa.status !== 400 || answer?.error !== 'unsupported_token_type') return;
    const token = koa.oidc.params?.token;
    const own = typeof token === 'string' ? await verify(token) : null;
    if (route === 'introspection') await introspect(koa, own);
    else await revoke(koa, own);
  };
}
