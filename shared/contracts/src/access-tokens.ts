/** What a signature-verified OAuth access token says about itself. */
export interface AccessTokenFacts {
  /** The token's `jti`. */
  tokenId: string;
  clientId: string;
  /** Null for a client-credentials token, which acts for the app's owner. */
  grantId: string | null;
  userId: string | null;
  scopes: string[];
  /** `iat`, seconds since the epoch. */
  issuedAt: number;
}

export interface VerifiedAccessToken extends AccessTokenFacts {
  /** `exp`, seconds since the epoch: no cached answer outlives the token. */
  expiresAt: number;
}

/**
 * Reads the claims of an access token whose signature, issuer, audience and type are already
 * checked (the gateway for each request, identity for introspection and revocation). Null when a
 * claim Gatehouse relies on is missing: a user token carries its grant (`gid`) and subject; a
 * client-credentials token's subject is the client itself.
 */
export function readAccessToken(claims: Record<string, unknown>): VerifiedAccessToken | null {
  const { jti, sub, exp, iat, client_id: clientId, scope, gid } = claims;
  if (typeof jti !== 'string' || typeof clientId !== 'string') return null;
  if (typeof exp !== 'number' || typeof iat !== 'number') return null;
  const grantId = typeof gid === 'string' ? gid : null;
  if (grantId && typeof sub !== 'string') return null;
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
