import type { AppError, AuthenticatedPrincipal } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { CredentialCache } from '../src/credentials/cache.js';
import { extractCredential } from '../src/credentials/extract.js';
import { checkCrossSite } from '../src/edges/cross-site.js';
import { authorize } from '../src/policy/authorize.js';
import { ROUTE_TABLE } from '../src/policy/route-table.js';
import { compileRouteTable } from '../src/policy/router.js';

const match = compileRouteTable(ROUTE_TABLE);
const ORG = '01HZ3K5R4X9Y2V6QF8TJ7W0CDN';
const OTHER = '01HZ3K5R4X9Y2V6QF8TJ7W0CDP';

function principal(overrides: Partial<AuthenticatedPrincipal> = {}): AuthenticatedPrincipal {
  return {
    kind: 'api_key',
    userId: 'u',
    credentialId: 'ak_1',
    scopes: ['projects:read'],
    organizationId: null,
    role: 'user',
    ...overrides,
  };
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as AppError).code;
  }
}

describe('route table', () => {
  it('matches declared routes with their params, and nothing else', () => {
    expect(match('GET', `/api/user/organizations/${ORG}/projects?limit=5`)).toMatchObject({
      policy: { upstream: 'project', tenant: true },
      params: { organizationId: ORG },
    });
    expect(match('GET', '/api/user/me')?.policy.upstream).toBe('identity');
    expect(match('PATCH', '/api/user/me')).toBeNull();
    expect(match('GET', '/api/internal/anything')).toBeNull();
  });

  it('gives every authenticated route a scope, and every tenant route an :organizationId', () => {
    for (const policy of ROUTE_TABLE) {
      // A directory's SCIM token carries no scopes: it reaches its /scim/v2 routes and nothing else.
      const scimOnly = policy.credentials?.every((kind) => kind === 'scim') ?? false;
      if (policy.auth === 'required' && !scimOnly && !['/api/auth/sign-out'].includes(policy.path))
        expect(policy.scopes, policy.path).toBeDefined();
      if (policy.tenant) expect(policy.path).toContain(':organizationId');
    }
  });
});

describe('authorize', () => {
  const projects = match('GET', `/api/user/organizations/${ORG}/projects`)!;
  it('lets a session through without scopes', () => {
    expect(codeOf(() => authorize(principal({ kind: 'session', scopes: [] }), projects))).toBeUndefined();
  });
  it('names the missing scope: API_KEY_MISSING_SCOPES for keys, INSUFFICIENT_PERMISSIONS for OAuth', () => {
    const write = match('POST', `/api/user/organizations/${ORG}/projects`)!;
    expect(codeOf(() => authorize(principal(), write))).toBe('API_KEY_MISSING_SCOPES');
    expect(codeOf(() => authorize(principal({ kind: 'oauth' }), write))).toBe('INSUFFICIENT_PERMISSIONS');
    expect(codeOf(() => authorize(principal({ scopes: [] }), write))).toBe('NO_SCOPES_AVAILABLE');
  });
  it('holds a pinned key to its organization', () => {
    expect(codeOf(() => authorize(principal({ organizationId: ORG }), projects))).toBeUndefined();
    const other = match('GET', `/api/user/organizations/${OTHER}/projects`)!;
    expect(codeOf(() => authorize(principal({ organizationId: ORG }), other))).toBe('FORBIDDEN');
  });
});

describe('extractCredential', () => {
  it('takes X-Api-Key, then Bearer, then the cookie', () => {
    const all = { 'x-api-key': 'ba_k', authorization: 'Bearer t', cookie: 'a=1; gatehouse_session=s' };
    expect(extractCredential(all, 'gatehouse_session')).toEqual({ kind: 'api_key', secret: 'ba_k' });
    expect(extractCredential({ authorization: 'Bearer t', cookie: all.cookie }, 'gatehouse_session')).toEqual({
      kind: 'oauth',
      secret: 't',
    });
    expect(extractCredential({ cookie: all.cookie }, 'gatehouse_session')).toEqual({ kind: 'session', secret: 's' });
    expect(extractCredential({}, 'gatehouse_session')).toBeNull();
  });
  it('treats a present but empty header as NO_TOKEN_PROVIDED', () => {
    expect(codeOf(() => extractCredential({ 'x-api-key': ' ' }, 'c'))).toBe('NO_TOKEN_PROVIDED');
    expect(codeOf(() => extractCredential({ authorization: 'Bearer' }, 'c'))).toBe('NO_TOKEN_PROVIDED');
    expect(codeOf(() => extractCredential({ authorization: 'Basic abc' }, 'c'))).toBe('INVALID_OR_EXPIRED_TOKEN');
  });
});

describe('CredentialCache', () => {
  it('expires entries and purges every entry of a revoked credential', () => {
    const cache = new CredentialCache();
    const ok = { ok: true as const, principal: principal({ credentialId: 'ak_9' }) };
    cache.set('a', ok, 10, [], 0);
    cache.set('b', ok, 10, [], 0);
    expect(cache.get('a', 5_000)).toEqual(ok);
    expect(cache.get('a', 10_001)).toBeUndefined();
    cache.purge('ak_9');
    expect(cache.get('b', 1)).toBeUndefined();
  });
});

describe('checkCrossSite', () => {
  const allowed = new Set(['https://app.example.com']);
  it('refuses foreign origins and cross-site fetches on writes only', () => {
    expect(codeOf(() => checkCrossSite('POST', { origin: 'https://evil.example' }, allowed))).toBe('FORBIDDEN');
    expect(codeOf(() => checkCrossSite('POST', { origin: 'null' }, allowed))).toBe('FORBIDDEN');
    expect(codeOf(() => checkCrossSite('DELETE', { 'sec-fetch-site': 'cross-site' }, allowed))).toBe('FORBIDDEN');
    expect(codeOf(() => checkCrossSite('GET', { origin: 'https://evil.example' }, allowed))).toBeUndefined();
    expect(codeOf(() => checkCrossSite('POST', { origin: 'https://app.example.com' }, allowed))).toBeUndefined();
    expect(codeOf(() => checkCrossSite('POST', {}, allowed))).toBeUndefined();
  });
});
