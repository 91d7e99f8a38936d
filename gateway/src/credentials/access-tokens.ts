import { AppError, readAccessToken, type VerifiedAccessToken } from '@gatehouse/contracts';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

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
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.jwks, {
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
    const facts = readAccessToken(claims);
    if (!facts) throw INVALID();
    return facts;
  }
}

function isFetchFailure(error: unknown): boolean {
  // jose rethrows network errors from fetch as they are (a TypeError with a cause).
  return error instanceof TypeError && 'cause' in error;
}
