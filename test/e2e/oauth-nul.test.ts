import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInUser } from '../support/flows.js';
import { type RegisteredApp, registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * oidc-provider hands what a client sends straight to its storage; PostgreSQL cannot hold a NUL
 * byte, so an id with one names no record and must get the ordinary OAuth answer, never a 500.
 */
let stack: Stack;
let app: RegisteredApp;
let basic: string;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  const alice = await signedInUser(stack, 'Alice Example');
  app = await registerApp(alice.client, { type: 'confidential', scopes: ['user:read'] });
  basic = `Basic ${Buffer.from(`${app.id}:${app.clientSecret}`).toString('base64')}`;
});
afterAll(async () => {
  await stack?.close();
});

async function post(path: string, body: string, authorized = true) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorized) headers.authorization = basic;
  const response = await fetch(`${stack.urls.gateway}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('a NUL byte in what an OAuth client sends', () => {
  it.each([
    ['a client_id', 'grant_type=client_credentials&client_id=%00&client_secret=x', false, 401, 'invalid_client'],
    [
      'a client_id with text around it',
      'grant_type=client_credentials&client_id=oa_%00x&client_secret=x',
      false,
      401,
      'invalid_client',
    ],
    ['a refresh token', 'grant_type=refresh_token&refresh_token=%00', true, 400, 'invalid_grant'],
    [
      'an authorization code',
      `grant_type=authorization_code&code=%00&redirect_uri=http://127.0.0.1:9/callback&code_verifier=${'a'.repeat(43)}`,
      true,
      400,
      'invalid_grant',
    ],
  ])('in %s at the token endpoint is an OAuth error', async (_case, body, authorized, status, error) => {
    const answer = await post('/oauth2/token', body, authorized);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
  });

  it.each([
    ['token=%00'],
    ['token=a%00b'],
    ['token=a%00b&token_type_hint=refresh_token'],
    ['token=a%00b&token_type_hint=access_token'],
  ])('introspecting %s answers active: false', async (body) => {
    const answer = await post('/oauth2/token/introspection', body);
    expect(answer).toEqual({ status: 200, body: { active: false } });
  });

  it.each([['token=%00'], ['token=a%00b'], ['token=a%00b&token_type_hint=refresh_token']])(
    'revoking %s answers 200, as for any unknown token',
    async (body) => {
      expect((await post('/oauth2/token/revocation', body)).status).toBe(200);
    },
  );

  it.each([['state=%00'], ['login_hint=a%00b']])(
    'a pushed authorization request with %s, once used, sends the browser back with invalid_request',
    async (extra) => {
      const request = `client_id=${app.id}&response_type=code&redirect_uri=${encodeURIComponent(app.redirectUri)}&scope=user:read&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&${extra}`;
      const pushed = await post('/oauth2/request', request);
      expect(pushed.status).toBe(201);
      const query = new URLSearchParams({ client_id: app.id, request_uri: String(pushed.body.request_uri) });
      const response = await fetch(`${stack.urls.gateway}/oauth2/auth?${query}`, { redirect: 'manual' });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location') ?? '', stack.urls.gateway);
      expect(location.toString().startsWith(app.redirectUri)).toBe(true);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toContain('must not contain a NUL character');
    },
  );
});
