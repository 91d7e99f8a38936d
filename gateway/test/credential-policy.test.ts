import type { AppError, AuthenticatedPrincipal } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { CredentialCache } from '../src/credentials/cache.js';
import { answerHeaders } from '../src/credentials/revoked-on-answer.js';
import { authorize } from '../src/policy/authorize.js';
import { ROUTE_TABLE } from '../src/policy/route-table.js';
import { compileRouteTable } from '../src/policy/router.js';
import { endpointLimitKeys } from '../src/rate-limit/limiter.js';

const match = compileRouteTable(ROUTE_TABLE);
const MANAGEMENT = /^\/api\/(auth\/api-key\/|user\/oauth-apps|user\/oauth-grants)/;

function principal(kind: AuthenticatedPrincipal['kind']): AuthenticatedPrincipal {
  const scopes: AuthenticatedPrincipal['scopes'] = ['user:read', 'user:write', 'api-keys:read', 'api-keys:write'];
  return { kind, userId: 'u', credentialId: 'c', scopes: [...scopes, 'api-keys:delete'], role: 'user' };
}

function refusal(run: () => unknown): { code?: string; meta?: Record<string, unknown> } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return { code: (error as AppError).code, meta: (error as AppError).meta };
  }
}

describe('credential management is refused to OAuth access tokens', () => {
  const managed = ROUTE_TABLE.filter((policy) => MANAGEMENT.test(policy.path));

  it('covers every API-key, OAuth app and OAuth grant route', () => {
    expect(managed.map((policy) => `${policy.method} ${policy.path}`).sort()).toEqual(
      [
        'POST /api/auth/api-key/create',
        'GET /api/auth/api-key/list',
        'GET /api/auth/api-key/get',
        'POST /api/auth/api-key/update',
        'POST /api/auth/api-key/delete',
        'GET /api/user/oauth-apps',
        'POST /api/user/oauth-apps',
        'GET /api/user/oauth-apps/:id',
        'PUT /api/user/oauth-apps/:id',
        'DELETE /api/user/oauth-apps/:id',
        'GET /api/user/oauth-grants',
        'DELETE /api/user/oauth-grants/:grantId',
      ].sort(),
    );
  });

  it('admits a session or an API key, and answers FORBIDDEN to an OAuth token', () => {
    for (const policy of managed) {
      expect(policy.credentials, policy.path).toEqual(['session', 'api_key']);
      const route = { policy, params: { id: 'x', grantId: 'x' } };
      expect(refusal(() => authorize(principal('session'), route))).toBeUndefined();
      expect(refusal(() => authorize(principal('api_key'), route))).toBeUndefined();
      expect(refusal(() => authorize(principal('oauth'), route))?.code, policy.path).toBe('FORBIDDEN');
    }
  });

  it('leaves verify-email open, with the credential resolved when there is one', () => {
    expect(match('GET', '/api/auth/verify-email?token=t')?.policy.auth).toBe('optional');
  });
});

describe('email-keyed limits', () => {
  const shapes: unknown[] = [['a@b.c'], 42, { $ne: '' }, null, true];

  it('refuses an email of any shape but a string on every email-keyed limit', () => {
    for (const limit of ['signIn', 'passwordReset', 'verificationEmail'] as const) {
      for (const email of shapes) {
        expect(
          refusal(() => endpointLimitKeys(limit, '10.0.0.1', { email }, undefined)),
          limit,
        ).toEqual({
          code: 'VALIDATION_ERROR',
          meta: { errors: [{ field: 'email', error: 'must be a string', location: 'body' }] },
        });
      }
    }
  });

  it('keys a string email, trimmed and lower-cased, and leaves an absent one to the service', () => {
    expect(endpointLimitKeys('signIn', 'ip', { email: ' Ada@Example.COM ' }, undefined)).toEqual({
      signInIp: 'ip',
      signInEmail: 'ada@example.com',
    });
    expect(endpointLimitKeys('passwordReset', 'ip', {}, undefined)).toEqual({
      emailIp: 'passwordReset:ip',
      emailAddress: undefined,
    });
    expect(endpointLimitKeys('signUp', 'ip', { email: ['x'] }, undefined)).toEqual({ signUp: 'ip' });
  });
});

describe('answer headers', () => {
  it('purges the credentials the answer says were revoked, and passes no internal header', () => {
    const cache = new CredentialCache();
    const resolved = (credentialId: string) => ({
      ok: true as const,
      principal: { ...principal('session'), credentialId },
    });
    cache.set('session:a', resolved('s1'), 30);
    cache.set('api_key:b', resolved('k1'), 30);
    cache.set('session:c', resolved('s2'), 30);
    const headers = answerHeaders(
      { 'content-type': 'application/json', 'x-gatehouse-revoked': 's1, k1', 'x-gatehouse-other': 'x' },
      cache,
    );
    expect(headers).toEqual({ 'content-type': 'application/json' });
    expect(cache.get('session:a')).toBeUndefined();
    expect(cache.get('api_key:b')).toBeUndefined();
    expect(cache.get('session:c')).toBeDefined();
  });
});
