import { describe, expect, it } from 'vitest';
import { readAccessToken } from '../src/index.js';

/** Claims as the issuer writes them for a token a user granted. */
const userClaims = {
  jti: 'token-1',
  sub: 'user-1',
  client_id: 'oa_client',
  gid: 'grant-1',
  scope: 'user:read projects:read',
  iat: 1_700_000_000,
  exp: 1_700_000_600,
  aud: 'gatehouse',
};

/** A client-credentials token: its subject is the client itself and it has no grant. */
const { gid: _gid, ...clientClaims } = { ...userClaims, sub: 'oa_client' };

describe('readAccessToken', () => {
  it('reads a user token: its grant, subject, scopes and times', () => {
    expect(readAccessToken(userClaims)).toEqual({
      tokenId: 'token-1',
      clientId: 'oa_client',
      grantId: 'grant-1',
      userId: 'user-1',
      scopes: ['user:read', 'projects:read'],
      issuedAt: 1_700_000_000,
      expiresAt: 1_700_000_600,
    });
  });

  it('reads a client-credentials token as acting for no user (the app owner is identity’s to find)', () => {
    expect(readAccessToken(clientClaims)).toMatchObject({ grantId: null, userId: null, clientId: 'oa_client' });
  });

  it.each(['jti', 'client_id', 'iat', 'exp'])('is null without %s, for a user and a client token', (claim) => {
    const { [claim]: _missing, ...user } = userClaims as Record<string, unknown>;
    const { [claim]: _gone, ...client } = clientClaims as Record<string, unknown>;
    expect(readAccessToken(user)).toBeNull();
    expect(readAccessToken(client)).toBeNull();
  });

  it.each([
    ['jti', 42],
    ['client_id', ['oa_client']],
    ['iat', '1700000000'],
    ['exp', '1700000600'],
    ['exp', null],
  ])('is null when %s is %j (the wrong type)', (claim, value) => {
    expect(readAccessToken({ ...userClaims, [claim]: value })).toBeNull();
  });

  it('is null for a user token without a string subject: whose grant would it be?', () => {
    const { sub: _sub, ...withoutSubject } = userClaims;
    expect(readAccessToken(withoutSubject)).toBeNull();
    expect(readAccessToken({ ...userClaims, sub: 7 })).toBeNull();
  });

  it.each([
    ['user:read  projects:read ', ['user:read', 'projects:read']],
    ['', []],
    [undefined, []],
    [['user:read'], []],
  ])('reads scope %j as %j', (scope, scopes) => {
    expect(readAccessToken({ ...userClaims, scope })?.scopes).toEqual(scopes);
  });
});
