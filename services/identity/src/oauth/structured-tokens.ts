import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { apiAudience, commit, type IdentityContext } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import { OidcPayloadSchema } from './entities.js';
import { accessTokenStatus, REVOKED_ACCESS_TOKEN_MODEL } from './liveness.js';

interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  scope?: string;
  gid?: string;
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
export function handleStructuredTokens(ctx: IdentityContext, keys: JWK[]) {
  const jwks = createLocalJWKSet({ keys: keys.map(publicPart) });
  const audience = apiAudience(ctx);

  async function verify(token: string): Promise<AccessTokenClaims | null> {
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, jwks, {
        issuer: `${audience}/oauth2`,
        audience,
        typ: 'at+jwt',
      });
      return typeof payload.client_id === 'string' && typeof payload.jti === 'string' ? payload : null;
    } catch {
      return null;
    }
  }

  async function introspect(koa: KoaContextWithOIDC, claims: AccessTokenClaims | null): Promise<void> {
    const client = koa.oidc.client;
    koa.status = 200;
    koa.body = { active: false };
    if (!claims || !client) return;
    if (client.clientAuthMethod === 'none' && claims.client_id !== client.clientId) return;
    const status = await accessTokenStatus(ctx, factsOf(claims));
    if (!status.live) return;
    koa.body = {
      active: true,
      token_type: 'Bearer',
      scope: status.scopes.join(' '),
      client_id: claims.client_id,
      sub: claims.sub,
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
    };
  }

  async function revoke(koa: KoaContextWithOIDC, claims: AccessTokenClaims | null): Promise<void> {
    // RFC 7009 §2.2: an invalid or unknown token is not an error.
    koa.status = 200;
    koa.body = '';
    const client = koa.oidc.client;
    if (!claims || !client || claims.client_id !== client.clientId) return;
    const status = await accessTokenStatus(ctx, factsOf(claims));
    if (!status.live) return;
    const tokenId = claims.jti as string;
    await commit(ctx, async (em) => {
      await em.upsert(
        OidcPayloadSchema,
        {
          model: REVOKED_ACCESS_TOKEN_MODEL,
          id: tokenId,
          payload: { revokedBy: client.clientId },
          grantId: null,
          uid: null,
          userCode: null,
          accountId: status.userId,
          clientId: claims.client_id,
          createdAt: new Date(),
          expiresAt: new Date((claims.exp ?? 0) * 1000),
          consumedAt: null,
        },
        { onConflictFields: ['model', 'id'], onConflictAction: 'ignore' },
      );
      announceRevocation(em, { kind: 'oauth', id: tokenId, userId: status.userId });
    });
  }

  return async function structuredTokens(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    const route = koa.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    const answer = koa.body as { error?: string } | undefined;
    if (koa.status !== 400 || answer?.error !== 'unsupported_token_type') return;
    const token = koa.oidc.params?.token;
    const claims = typeof token === 'string' ? await verify(token) : null;
    if (route === 'introspection') await introspect(koa, claims);
    else await revoke(koa, claims);
  };
}

function factsOf(claims: AccessTokenClaims) {
  const grantId = typeof claims.gid === 'string' ? claims.gid : null;
  return {
    tokenId: claims.jti as string,
    clientId: claims.client_id,
    grantId,
    userId: grantId ? (claims.sub ?? null) : null,
    scopes: (claims.scope ?? '').split(' ').filter(Boolean),
    issuedAt: claims.iat ?? 0,
  };
}
