import { createPrivateKey, sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { PRINCIPAL_AUDIENCE, PRINCIPAL_ISSUER, type Principal, type PrincipalClaims } from '@gatehouse/contracts';
import { calculateJwkThumbprint, exportJWK, importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrincipalSigner, createPrincipalVerifier, type PrincipalVerifier } from '../src/principal.js';

/**
 * The principal token is signed and verified with node:crypto; these tests hold it to what jose's
 * SignJWT made and jwtVerify accepted before: the same bytes out, every jose token in, every refusal kept.
 */
const claims: PrincipalClaims = {
  principal: {
    kind: 'api_key',
    userId: 'us_1',
    credentialId: 'ak_1',
    scopes: ['user:read'],
    organizationId: null,
    role: 'user',
  },
  clientIp: '203.0.113.9',
  userAgent: 'curl/8.5.0',
};
/** The options the verifier used with jose's jwtVerify. */
const JOSE_OPTIONS = {
  algorithms: ['EdDSA'],
  issuer: PRINCIPAL_ISSUER,
  audience: PRINCIPAL_AUDIENCE,
  maxTokenAge: '60s',
};

interface PrincipalKeys {
  privateKeyPem: string;
  publicKeyPem: string;
}
/** An Ed25519 pair in the PEM forms the configuration carries (PKCS#8, SPKI). */
async function generatePrincipalKeys(): Promise<PrincipalKeys> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

let keys: PrincipalKeys;
let other: PrincipalKeys;
let kid: string;
let verifier: PrincipalVerifier;

beforeAll(async () => {
  [keys, other] = await Promise.all([generatePrincipalKeys(), generatePrincipalKeys()]);
  const { kty, crv, x } = await exportJWK(await importSPKI(keys.publicKeyPem, 'EdDSA', { extractable: true }));
  kid = await calculateJwkThumbprint({ kty: kty!, crv: crv!, x: x! });
  verifier = await createPrincipalVerifier(`${other.publicKeyPem}\n${keys.publicKeyPem}`);
});
afterEach(() => {
  vi.useRealTimers();
});

/** What the signer made with jose, word for word. */
async function joseSigned(privateKeyPem: string, signingKid: string, input: PrincipalClaims = claims): Promise<string> {
  return new SignJWT({
    principal: input.principal,
    ip: input.clientIp,
    ...(input.userAgent && { ua: input.userAgent }),
  })
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKid })
    .setIssuer(PRINCIPAL_ISSUER)
    .setAudience(PRINCIPAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('30s')
    .sign(await importPKCS8(privateKeyPem, 'EdDSA'));
}

const segment = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A token with any header and claims, really signed by `privateKeyPem` (so only the checks can refuse it). */
function forged(header: unknown, payload: unknown, privateKeyPem = keys.privateKeyPem): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

function goodClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = now();
  return {
    principal: claims.principal,
    ip: '198.51.100.1',
    iss: PRINCIPAL_ISSUER,
    aud: PRINCIPAL_AUDIENCE,
    iat,
    exp: iat + 30,
    ...overrides,
  };
}

describe('the principal signer', () => {
  it('makes exactly the compact JWS jose made at the same instant', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-03T12:00:00.400Z'));
    const signer = await createPrincipalSigner(keys.privateKeyPem);
    for (const input of [
      claims,
      { ...claims, userAgent: undefined },
      { principal: { kind: 'anonymous' as const }, clientIp: '::1' },
    ]) {
      expect(await signer.sign(input)).toBe(await joseSigned(keys.privateKeyPem, kid, input));
    }
  });

  it('sends one token per caller for ten seconds, then signs afresh', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-03T12:00:00.000Z'));
    const signer = await createPrincipalSigner(keys.privateKeyPem);
    const first = await signer.sign(claims);
    vi.setSystemTime(new Date('2026-12-03T12:00:09.900Z'));
    expect(await signer.sign({ ...claims, principal: { ...claims.principal } })).toBe(first);
    vi.setSystemTime(new Date('2026-12-03T12:00:10.000Z'));
    const second = await signer.sign(claims);
    expect(second).not.toBe(first);
    expect(second).toBe(await joseSigned(keys.privateKeyPem, kid));
  });

  it('never hands one caller’s token to another: any difference in principal, address or User-Agent', async () => {
    const signer = await createPrincipalSigner(keys.privateKeyPem);
    const changed = (change: Record<string, unknown>) => ({ ...claims.principal, ...change }) as Principal;
    const variants: PrincipalClaims[] = [
      claims,
      { ...claims, principal: changed({ scopes: ['user:read', 'user:write'] }) },
      { ...claims, principal: changed({ role: 'admin' }) },
      { ...claims, principal: changed({ credentialId: 'ak_2' }) },
      { ...claims, principal: changed({ organizationId: 'or_1' }) },
      { ...claims, clientIp: '203.0.113.10' },
      { ...claims, userAgent: 'curl/8.5.1' },
      { ...claims, userAgent: undefined },
    ];
    const tokens = await Promise.all(variants.map((input) => signer.sign(input)));
    expect(new Set(tokens).size).toBe(variants.length);
    for (const [index, token] of tokens.entries()) expect(await verifier.verify(token)).toEqual(variants[index]);
  });

  it('signs what jose verifies, with the header and claims services expect', async () => {
    const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims);
    const { payload, protectedHeader } = await jwtVerify(
      token,
      await importSPKI(keys.publicKeyPem, 'EdDSA'),
      JOSE_OPTIONS,
    );
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid });
    expect(payload).toEqual({
      principal: claims.principal,
      ip: '203.0.113.9',
      ua: 'curl/8.5.0',
      iss: PRINCIPAL_ISSUER,
      aud: PRINCIPAL_AUDIENCE,
      iat: expect.any(Number),
      exp: (payload.iat as number) + 30,
    });
    expect(Math.abs((payload.iat as number) - now())).toBeLessThanOrEqual(1);
  });

  it('cuts a long User-Agent to the length the contracts allow', async () => {
    const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign({
      ...claims,
      userAgent: 'x'.repeat(5000),
    });
    const { userAgent } = await verifier.verify(token);
    expect(userAgent?.length).toBeLessThan(5000);
    expect(userAgent).toMatch(/^x+$/);
  });

  it('refuses a key that is not Ed25519', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(createPrincipalSigner(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)).rejects.toThrow(
      /Ed25519/,
    );
  });
});

describe('the principal verifier', () => {
  it('accepts what jose signed, with any of the configured keys (rotation)', async () => {
    expect(await verifier.verify(await joseSigned(keys.privateKeyPem, kid))).toEqual(claims);
    const { kty, crv, x } = await exportJWK(await importSPKI(other.publicKeyPem, 'EdDSA', { extractable: true }));
    const otherKid = await calculateJwkThumbprint({ kty: kty!, crv: crv!, x: x! });
    const { userAgent: _, ...withoutAgent } = claims;
    expect(await verifier.verify(await joseSigned(other.privateKeyPem, otherKid, withoutAgent))).toEqual(withoutAgent);
  });

  it('accepts its own signer’s tokens, and an audience list that names the services', async () => {
    expect(await verifier.verify(await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims))).toEqual(claims);
    const listed = forged({ alg: 'EdDSA', kid }, goodClaims({ aud: ['elsewhere', PRINCIPAL_AUDIENCE] }));
    expect((await verifier.verify(listed)).clientIp).toBe('198.51.100.1');
  });

  it('remembers a verified token only until time would refuse it: its exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-03T12:00:00.000Z'));
    const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims);
    const fresh = await createPrincipalVerifier(keys.publicKeyPem);
    await fresh.verify(token);
    vi.setSystemTime(new Date('2026-12-03T12:00:29.999Z'));
    expect(await fresh.verify(token)).toEqual(claims);
    vi.setSystemTime(new Date('2026-12-03T12:00:30.000Z'));
    await expect(fresh.verify(token)).rejects.toThrow(/expired/);
    await expect(fresh.verify(token)).rejects.toThrow(/expired/);
  });

  it('remembers a verified token only until time would refuse it: its age, whatever its exp says', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-03T12:00:00.000Z'));
    const longLived = forged({ alg: 'EdDSA', kid }, goodClaims({ exp: now() + 3600 }));
    const fresh = await createPrincipalVerifier(keys.publicKeyPem);
    await fresh.verify(longLived);
    vi.setSystemTime(new Date('2026-12-03T12:01:00.999Z'));
    expect((await fresh.verify(longLived)).clientIp).toBe('198.51.100.1');
    vi.setSystemTime(new Date('2026-12-03T12:01:01.000Z'));
    await expect(fresh.verify(longLived)).rejects.toThrow(/expired|too old/);
    await expect(fresh.verify(longLived)).rejects.toThrow(/too old/);
  });

  it('remembers only the exact string it verified: a changed character is verified, and refused', async () => {
    const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims);
    await verifier.verify(token);
    const at = token.length - 40; // inside the signature
    const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    await expect(verifier.verify(changed)).rejects.toThrow(/bad signature/);
    await expect(verifier.verify(` ${token}`)).rejects.toThrow();
  });

  it('takes one spelling of a signature: the last character’s unused bits set is refused', async () => {
    const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1) as string);
    expect(last % 16).toBe(0);
    for (let unused = 1; unused < 16; unused++) {
      const respelt = `${token.slice(0, -1)}${alphabet[last + unused]}`;
      await expect(verifier.verify(respelt)).rejects.toThrow(/not an Ed25519 signature/);
    }
  });

  it('hands out a frozen principal: one object serves every request that carries the token', async () => {
    const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims);
    const { principal } = await verifier.verify(token);
    expect(Object.isFrozen(principal)).toBe(true);
    expect(() => (principal as { scopes: string[] }).scopes.push('organizations:write')).toThrow(TypeError);
    expect(await verifier.verify(token)).toEqual(claims);
  });

  it('takes an iat a few seconds ahead (the gateway’s clock slightly ahead), not more', async () => {
    const ahead = forged({ alg: 'EdDSA', kid }, goodClaims({ iat: now() + 3, exp: now() + 33 }));
    expect((await verifier.verify(ahead)).clientIp).toBe('198.51.100.1');
  });

  const stranger = async () => (await createPrincipalSigner(other.privateKeyPem)).sign(claims);
  const refusals: Array<[string, () => Promise<string> | string, RegExp]> = [
    [
      'a bad signature',
      async () => {
        const token = await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims);
        const signature = token.split('.')[2]!;
        return `${token.slice(0, -86)}${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
      },
      /bad signature/,
    ],
    [
      'claims changed after signing',
      async () => {
        const [header, , signature] = (await (await createPrincipalSigner(keys.privateKeyPem)).sign(claims)).split('.');
        return `${header}.${segment(goodClaims({ principal: { ...claims.principal, role: 'admin' } }))}.${signature}`;
      },
      /bad signature/,
    ],
    [
      'another key’s signature under a known kid',
      () => forged({ alg: 'EdDSA', kid }, goodClaims(), other.privateKeyPem),
      /bad signature/,
    ],
    [
      'an unknown kid',
      async () => (await createPrincipalSigner((await generatePrincipalKeys()).privateKeyPem)).sign(claims),
      /unknown signing key/,
    ],
    ['no kid', () => forged({ alg: 'EdDSA' }, goodClaims()), /unknown signing key/],
    ['a kid that is not a string', () => forged({ alg: 'EdDSA', kid: [kid] }, goodClaims()), /unknown signing key/],
    ['alg none', () => `${segment({ alg: 'none', kid })}.${segment(goodClaims())}.`, /not an Ed25519 signature/],
    ['alg none with a signature', () => forged({ alg: 'none', kid }, goodClaims()), /algorithm not allowed/],
    ['alg HS256', () => forged({ alg: 'HS256', kid }, goodClaims()), /algorithm not allowed/],
    [
      'alg Ed25519 (not the one configured)',
      () => forged({ alg: 'Ed25519', kid }, goodClaims()),
      /algorithm not allowed/,
    ],
    ['no alg', () => forged({ kid }, goodClaims()), /algorithm not allowed/],
    ['a critical extension', () => forged({ alg: 'EdDSA', kid, crit: ['b64'], b64: false }, goodClaims()), /critical/],
    ['a wrong issuer', () => forged({ alg: 'EdDSA', kid }, goodClaims({ iss: 'someone-else' })), /issuer/],
    ['no issuer', () => forged({ alg: 'EdDSA', kid }, goodClaims({ iss: undefined })), /issuer/],
    ['a wrong audience', () => forged({ alg: 'EdDSA', kid }, goodClaims({ aud: 'elsewhere' })), /audience/],
    [
      'an audience list without the services',
      () => forged({ alg: 'EdDSA', kid }, goodClaims({ aud: ['a', 'b'] })),
      /audience/,
    ],
    ['no audience', () => forged({ alg: 'EdDSA', kid }, goodClaims({ aud: undefined })), /audience/],
    [
      'an expired token',
      () => forged({ alg: 'EdDSA', kid }, goodClaims({ iat: now() - 31, exp: now() - 1 })),
      /expired/,
    ],
    ['a token expiring now', () => forged({ alg: 'EdDSA', kid }, goodClaims({ exp: now() })), /expired/],
    ['no exp', () => forged({ alg: 'EdDSA', kid }, goodClaims({ exp: undefined })), /"exp"/],
    [
      'an exp that is not a number',
      () => forged({ alg: 'EdDSA', kid }, goodClaims({ exp: String(now() + 30) })),
      /"exp"/,
    ],
    [
      'a token too old (iat beyond 60 s, exp far ahead)',
      () => forged({ alg: 'EdDSA', kid }, goodClaims({ iat: now() - 61, exp: now() + 3600 })),
      /too old/,
    ],
    ['no iat', () => forged({ alg: 'EdDSA', kid }, goodClaims({ iat: undefined })), /"iat"/],
    ['an iat that is not a number', () => forged({ alg: 'EdDSA', kid }, goodClaims({ iat: 'now' })), /"iat"/],
    [
      'an iat in the future beyond the skew',
      () => forged({ alg: 'EdDSA', kid }, goodClaims({ iat: now() + 60, exp: now() + 90 })),
      /future/,
    ],
    ['an nbf ahead', () => forged({ alg: 'EdDSA', kid }, goodClaims({ nbf: now() + 10 })), /not yet valid/],
    ['two segments', async () => (await stranger()).split('.').slice(0, 2).join('.'), /compact JWS/],
    ['four segments', async () => `${await stranger()}.x`, /compact JWS/],
    ['an empty token', () => '', /compact JWS/],
    ['an empty header', () => `.${segment(goodClaims())}.${'A'.repeat(86)}`, /base64url/],
    ['padding in a segment', () => forged({ alg: 'EdDSA', kid }, goodClaims()).replace('.', '=.'), /base64url/],
    ['characters outside base64url', () => `${segment({ alg: 'EdDSA', kid })}.ey+J/.${'A'.repeat(86)}`, /base64url/],
    ['a signature of the wrong length', () => `${forged({ alg: 'EdDSA', kid }, goodClaims())}AA`, /Ed25519 signature/],
    ['a header that is not JSON', () => forged('{alg: EdDSA', goodClaims()), /header is not JSON/],
    ['a header that is a JSON array', () => forged(['EdDSA', kid], goodClaims()), /header is not a JSON object/],
    ['claims that are not JSON', () => forged({ alg: 'EdDSA', kid }, 'principal=admin'), /claims set is not JSON/],
    [
      'claims that are a JSON string',
      () => forged({ alg: 'EdDSA', kid }, JSON.stringify('hello')),
      /claims set is not a JSON object/,
    ],
    ['claims that are null', () => forged({ alg: 'EdDSA', kid }, 'null'), /claims set is not a JSON object/],
    [
      'claims that are not UTF-8',
      () => {
        const input = `${segment({ alg: 'EdDSA', kid })}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}`;
        return `${input}.${cryptoSign(null, Buffer.from(input), createPrivateKey(keys.privateKeyPem)).toString('base64url')}`;
      },
      /claims set is not JSON/,
    ],
  ];

  it.each(refusals)('refuses %s', async (_name, make, reason) => {
    await expect(verifier.verify(await make())).rejects.toThrow(reason);
  });

  it('refuses what jose refused (the same tokens against jose, as a cross-check)', async () => {
    const joseKey = await importSPKI(keys.publicKeyPem, 'EdDSA');
    for (const [name, make] of refusals) {
      // Given one key, jose never looked at the kid; and it took a token without exp (the signer always sets one).
      if (name.includes('kid') || name === 'no exp') continue;
      await expect(jwtVerify(await make(), joseKey, JOSE_OPTIONS), name).rejects.toThrow();
    }
  });
});
