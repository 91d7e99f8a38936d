import { type AccessTokenFacts, AppError } from '@gatehouse/contracts';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

export interface VerifiedAccessToken extends AccessTokenFacts {
  /** `exp`, seconds since the epoch: no cached answer outlives the token. */
  expiresAt: number;
}

interface AccessTokenClaims extends JWTPayload {
  client_id?: unknown;
  scope?: unknown;
  gid?: unknown;
}

/** docs/oauth.md's key rotation waits this long between publishing a key and signing with it. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

const INVALID = () => new AppError('INVALID_OR_EXPIRED_TOKEN', 'The access token is invalid, expired or revoked');

/**
 * Verifies OAuth access tokens locally: signature against identity's JWKS (fetched once,
 * cached, refetched when a token names an unknown `kid`, at most every 30 s), then issuer,
 * audience, type and expiry. Nothing here needs identity per request.
 */
export class AccessTokenVerifier {
  private readonly jwks;

  constructor(
    private readonly options: {
      jwksUrl: string;
      issuer: string;
      audience: string;
      timeoutMs: number;
      /** Least time between two JWKS fetches, so a flood of unknown `kid`s cannot hammer identity. */
      cooldownMs?: number;
    },
  ) {
    this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    });
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    let claims: AccessTokenClaims;
    try {
      ({ payload: claims } = await jwtVerify<AccessTokenClaims>(token, this.jwks, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: 'at+jwt',
        algorithms: ['EdDSA', 'ES256', 'RS256'],
        clockTolerance: 5,
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || isFetchFailure(error)) {
        throw new AppError('SERVICE_UNAVAILABLE', 'Access tokens cannot be verified right now, retry shortly');
      }
      throw INVALID();
    }
    const { jti, sub, exp, iat, client_id: clientId, scope, gid } = claims;
    if (typeof jti !== 'string' || typeof clientId !== 'string') throw INVALID();
    if (typeof exp !== 'number' || typeof iat !== 'number') throw INVALID();
    const grantId = typeof gid === 'string' ? gid : null;
    // A user token carries its grant; a client-credentials token's subject is the client itself.
    if (grantId && typeof sub !== 'string') throw INVALID();
    return {
      tokenId: jti,
      clientId,
      grantId,
      userId: grantId ? (sub as string) : null,
      scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
      issuedAt: iat,
      expiresAt: exp,
    };
  }
}

function isFetchFailure(error: unknown): boolean {
  // jose rethrows network errors from fetch as they are (a TypeError with a cause).
  return error instanceof TypeError && 'cause' in error;
}
