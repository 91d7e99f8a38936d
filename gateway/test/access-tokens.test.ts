import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokenVerifier } from '../src/credentials/access-tokens.js';

const ISSUER = 'https://api.example.test/oauth2';
const AUDIENCE = 'https://api.example.test';

interface TestKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK;
}

async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

function sign(key: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: '01USER',
    jti: `jti-${Math.random()}`,
    iat: now,
    exp: now + 600,
    client_id: 'oa_client',
    scope: 'user:read',
    gid: 'grant-1',
    ...claims,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** A real HTTP JWKS endpoint whose key set the test changes, as a rotation would. */
let published: JWK[] = [];
let fetches = 0;
let server: Server;
let jwksUrl: string;

beforeAll(async () => {
  server = createServer((_request, response) => {
    fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/jwks`;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
});

function verifier(url = jwksUrl) {
  return new AccessTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, timeoutMs: 1000, cooldownMs: 0 });
}

describe('AccessTokenVerifier', () => {
  it('verifies a token and reads what it says about itself', async () => {
    const current = await makeKey('k1');
    published = [current.jwk];
    const facts = await verifier().verify(await sign(current));
    expect(facts).toMatchObject({
      clientId: 'oa_client',
      grantId: 'grant-1',
      userId: '01USER',
      scopes: ['user:read'],
      tokenId: expect.stringMatching(/^jti-/),
    });
  });

  it('fetches the key set once, and again only for a kid it has not seen (rotation)', async () => {
    const current = await makeKey('k1');
    const next = await makeKey('k2');
    published = [current.jwk];
    const tokens = verifier();
    const before = fetches;
    await tokens.verify(await sign(current));
    await tokens.verify(await sign(current));
    expect(fetches - before).toBe(1);
    published = [next.jwk, current.jwk];
    await expect(tokens.verify(await sign(next))).resolves.toMatchObject({ clientId: 'oa_client' });
    expect(fetches - before).toBe(2);
  });

  it.each([
    ['another audience', { aud: 'https://elsewhere.example' }, {}],
    ['another issuer', { iss: 'https://evil.example/oauth2' }, {}],
    ['an ID token (wrong typ)', {}, { typ: 'JWT' }],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 60 }, {}],
  ])('refuses %s with INVALID_OR_EXPIRED_TOKEN', async (_name, claims, header) => {
    const current = await makeKey('k1');
    published = [current.jwk];
    await expect(verifier().verify(await sign(current, claims, header))).rejects.toMatchObject({
      code: 'INVALID_OR_EXPIRED_TOKEN',
    });
  });

  it('refuses a token signed by a key the server never published', async () => {
    published = [(await makeKey('k1')).jwk];
    const stranger = await makeKey('k1');
    await expect(verifier().verify(await sign(stranger))).rejects.toMatchObject({ code: 'INVALID_OR_EXPIRED_TOKEN' });
  });

  it('answers SERVICE_UNAVAILABLE when the key set cannot be fetched', async () => {
    const current = await makeKey('k1');
    const down = verifier('http://127.0.0.1:9/oauth2/jwks');
    await expect(down.verify(await sign(current))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
