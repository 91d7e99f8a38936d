import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { pemFromEnv } from '@gatehouse/service-kit';
import { calculateJwkThumbprint, type JWK } from 'jose';

const PEM_BLOCK = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/g;

function algorithmFor(jwk: JsonWebKey): string {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'RSA') return 'RS256';
  throw new Error(`OAUTH_SIGNING_KEYS: unsupported key type ${jwk.kty}${jwk.crv ? ` (${jwk.crv})` : ''}`);
}

/**
 * The private JWKS oidc-provider signs with, from PEM keys in config. Each key's id is its
 * RFC 7638 thumbprint, so the same key keeps the same `kid` on every replica and restart.
 */
export async function signingKeysFromPem(value: string): Promise<{ keys: JWK[]; algorithms: string[] }> {
  const blocks = pemFromEnv(value).match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('OAUTH_SIGNING_KEYS holds no PEM private key');
  const keys: JWK[] = [];
  for (const pem of blocks) {
    const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as JWK;
    const alg = algorithmFor(jwk as JsonWebKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  }
  return { keys, algorithms: [...new Set(keys.map((key) => key.alg as string))] };
}
