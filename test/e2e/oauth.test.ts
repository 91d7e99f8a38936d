import { eventually } from '@gatehouse/service-kit/testing';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { PASSWORD, signedInUser, uniqueEmail } from '../support/flows.js';
import {
  authorizationRequest,
  clientFor,
  completeAuthorization,
  decodeJwt,
  exchangeCode,
  FormBrowser,
  formAction,
  type RegisteredApp,
  registerApp,
} from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let alice: Awaited<ReturnType<typeof signedInUser>>;
let bob: Awaited<ReturnType<typeof signedInUser>>;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  alice = await signedInUser(stack, 'Alice Example');
  bob = await signedInUser(stack, 'Bob Example');
});
afterAll(async () => {
  await stack?.close();
});

function bearer(token: string): ApiClient {
  return new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${token}` });
}

/** Runs code + PKCE for `app` as alice, through the gateway, and exchanges the code. */
async function authorizeAsAlice(app: RegisteredApp, scope: string) {
  const config = await clientFor(stack, app);
  const attempt = await authorizationRequest(config, app, scope, { prompt: 'consent' });
  const { callback, consentPage } = await completeAuthorization(new FormBrowser(), attempt, app, {
    email: alice.email,
    password: PASSWORD,
  });
  const tokens = await exchangeCode(config, attempt, callback);
  return { config, tokens, consentPage };
}

describe('OAuth 2.1: discovery through the gateway', () => {
  it('serves OpenID discovery and RFC 8414 metadata with the OAuth 2.1 profile', async () => {
    const anonymous = new ApiClient(stack.urls.gateway);
    const oidc = await anonymous.get('/oauth2/.well-known/openid-configuration');
    expect(oidc.status).toBe(200);
    const issuer = `${stack.urls.gateway}/oauth2`;
    expect(oidc.body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      revocation_endpoint: `${issuer}/token/revocation`,
      introspection_endpoint: `${issuer}/token/introspection`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(oidc.body.grant_types_supported).not.toContain('implicit');
    expect(oidc.body.grant_types_supported).not.toContain('password');
    expect(oidc.body.registration_endpoint).toBeUndefined();
    expect(oidc.body.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access', 'user:read']));

    const rfc8414 = await anonymous.get('/.well-known/oauth-authorization-server/oauth2');
    expect(rfc8414.status).toBe(200);
    expect(rfc8414.body.issuer).toBe(issuer);
    expect(rfc8414.body.token_endpoint).toBe(`${issuer}/token`);

    const resource = await anonymous.get('/.well-known/oauth-protected-resource');
    expect(resource.body).toMatchObject({ resource: stack.urls.gateway, authorization_servers: [issuer] });
  });
});

describe('OAuth 2.1: code + PKCE with a real client', () => {
  let app: RegisteredApp;
  let tokens: oauth.TokenEndpointResponse;
  let rotated: oauth.TokenEndpointResponse;

  beforeAll(async () => {
    app = await registerApp(alice.client, { name: 'Acme Reports' });
  });

  it('signs the user in, asks consent in plain words, and issues a JWT for this API', async () => {
    const result = await authorizeAsAlice(app, 'openid profile offline_access user:read');
    tokens = result.tokens;
    expect(result.consentPage).toContain('Acme Reports wants to access your Gatehouse account');
    expect(result.consentPage).toContain('Read your profile, sessions and organization list');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const { header, payload } = decodeJwt(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'EdDSA' });
    expect(payload).toMatchObject({
      iss: `${stack.urls.gateway}/oauth2`,
      aud: stack.urls.gateway,
      client_id: app.id,
      sub: alice.userId,
    });
    // The token names every scope the user granted: the API's and the OpenID ones.
    expect(String(payload.scope).split(' ').sort()).toEqual(['offline_access', 'openid', 'profile', 'user:read']);
  });

  it('calls /api/user/me with the Bearer token and is refused routes outside its scopes', async () => {
    const client = bearer(tokens.access_token);
    const me = await client.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(alice.email);

    const org = (await alice.client.get('/api/user/organizations')).body.data[0];
    const projects = await client.get(`/api/user/organizations/${org.id}/projects`);
    expect(projects.status).toBe(403);
    expect(projects.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="projects:read"');
    expect(projects.body).toMatchObject({
      code: 'INSUFFICIENT_PERMISSIONS',
      meta: { requiredScopes: ['projects:read'] },
    });

    const apps = await client.get('/api/user/oauth-apps');
    expect(apps.status).toBe(403);
    expect(apps.body.code).toBe('FORBIDDEN');
  });

  it('rotates the refresh token; the new access token works', async () => {
    const config = await clientFor(stack, app);
    rotated = await oauth.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(rotated.refresh_token).toEqual(expect.any(String));
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect((await bearer(rotated.access_token).get('/api/user/me')).status).toBe(200);
  });

  it('locks the client out when an old refresh token is replayed', async () => {
    const config = await clientFor(stack, app);
    await expect(oauth.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // The replay revoked the whole grant: the current refresh token and its access token are dead too.
    await expect(oauth.refreshTokenGrant(config, rotated.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await eventually(async () => {
      const me = await bearer(rotated.access_token).get('/api/user/me');
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    }, 3000);
  });
});

describe('OAuth 2.1: browser apps (CORS)', () => {
  it("lets a public app's own origin call the token endpoint, and no other origin", async () => {
    const app = await registerApp(alice.client, { name: 'SPA', redirectUri: 'https://spa.example.com/callback' });
    const preflight = await fetch(`${stack.urls.gateway}/oauth2/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const exchange = (origin: string) =>
      fetch(`${stack.urls.gateway}/oauth2/token`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: app.id,
          code: 'not-a-code',
          redirect_uri: app.redirectUri,
          code_verifier: 'v'.repeat(43),
        }),
      });
    const own = await exchange('https://spa.example.com');
    expect(own.status).toBe(400);
    expect(own.headers.get('access-control-allow-origin')).toBe('https://spa.example.com');
    const foreign = await exchange('https://evil.example.com');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('OAuth 2.1: single use under concurrency', () => {
  it('lets only one of several simultaneous refreshes with the same token through, and revokes the grant', async () => {
    const app = await registerApp(alice.client, { name: 'Racer' });
    const { config, tokens } = await authorizeAsAlice(app, 'user:read offline_access');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => oauth.refreshTokenGrant(config, tokens.refresh_token as string)),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(won.length).toBeLessThanOrEqual(1);
    for (const outcome of lost) expect(outcome.reason).toMatchObject({ error: 'invalid_grant' });
    // A concurrent reuse is a replay: the grant is gone, whichever request won.
    const winner = won[0]?.status === 'fulfilled' ? won[0].value : null;
    if (winner) {
      await expect(oauth.refreshTokenGrant(config, winner.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    }
    await eventually(async () => {
      expect((await bearer(tokens.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
  });

  it('redeems an authorization code once, even when two exchanges race', async () => {
    const app = await registerApp(alice.client, { name: 'Code Racer' });
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'user:read', { prompt: 'consent' });
    const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, {
      email: alice.email,
      password: PASSWORD,
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => exchangeCode(config, attempt, callback)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ error: 'invalid_grant' });
    }
  });
});

describe('OAuth 2.1: the authorization request is strict', () => {
  let app: RegisteredApp;
  let config: oauth.Configuration;

  beforeAll(async () => {
    app = await registerApp(alice.client, { name: 'Strict Checker' });
    config = await clientFor(stack, app);
  });

  it('requires PKCE with S256', async () => {
    const browser = new FormBrowser();
    const base = { client_id: app.id, redirect_uri: app.redirectUri, response_type: 'code', scope: 'user:read' };
    const withoutPkce = await browser.fetch(`${stack.urls.gateway}/oauth2/auth?${new URLSearchParams(base)}`);
    expect(withoutPkce.status).toBe(303);
    expect(new URL(withoutPkce.location as string).searchParams.get('error')).toBe('invalid_request');
    const plain = await browser.fetch(
      `${stack.urls.gateway}/oauth2/auth?${new URLSearchParams({ ...base, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })}`,
    );
    expect(new URL(plain.location as string).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses the implicit flow, unknown scopes and any redirect URI but the registered one', async () => {
    const implicit = await authorizationRequest(config, app, 'user:read', { response_type: 'token' });
    const implicitAnswer = await new FormBrowser().fetch(implicit.url.toString());
    expect(implicitAnswer.status).toBeGreaterThanOrEqual(300);
    expect(implicitAnswer.location ?? implicitAnswer.text).toMatch(/unsupported_response_type/);

    const unknownScope = await authorizationRequest(config, app, 'user:read admin:everything');
    const scopeAnswer = await new FormBrowser().fetch(unknownScope.url.toString());
    expect(new URL(scopeAnswer.location as string).searchParams.get('error')).toBe('invalid_scope');

    const otherRedirect = await authorizationRequest(
      config,
      { ...app, redirectUri: `${app.redirectUri}/extra` },
      'user:read',
    );
    const redirectAnswer = await new FormBrowser().fetch(otherRedirect.url.toString());
    // Never redirected to an unregistered URI: an error page instead.
    expect(redirectAnswer.status).toBe(400);
    expect(redirectAnswer.location).toBeNull();
    expect(redirectAnswer.headers.get('content-type')).toMatch(/text\/html/);
    expect(redirectAnswer.text).toContain('redirect_uri');
  });

  it('sends the user back with access_denied when they deny', async () => {
    const attempt = await authorizationRequest(config, app, 'user:read');
    const { callback } = await completeAuthorization(
      new FormBrowser(),
      attempt,
      app,
      { email: alice.email, password: PASSWORD },
      'deny',
    );
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(attempt.state);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('shows the login form again on a wrong password, and skips it for a signed-in browser', async () => {
    const attempt = await authorizationRequest(config, app, 'user:read');
    const browser = new FormBrowser();
    const login = await browser.follow(attempt.url.toString(), app.redirectUri);
    const action = login.text.match(/action="([^"]+\/login)"/)?.[1] as string;
    const wrong = await browser.fetch(new URL(action, login.url).toString(), {
      method: 'POST',
      form: { email: alice.email, password: 'not-the-password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('role="alert"');
    expect(wrong.text).toContain('Invalid email or password');
    const empty = await browser.fetch(new URL(action, login.url).toString(), {
      method: 'POST',
      form: { email: alice.email },
    });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('content-type')).toMatch(/text\/html/);
    expect(empty.text).toContain('Enter your email and password');

    const session = alice.client.cookieHeader().match(/gatehouse_session=([^;]+)/)?.[1] as string;
    const signedIn = new FormBrowser({ gatehouse_session: session });
    const second = await authorizationRequest(config, app, 'user:read');
    const page = await signedIn.follow(second.url.toString(), app.redirectUri);
    expect(page.text).not.toContain('autocomplete="current-password"');
    expect(page.text).toContain('Strict Checker wants to access your Gatehouse account');
  });

  it('limits login-form attempts per email across IPs, as the JSON sign-in is limited', async () => {
    const replica = await stack.addGateway({ RATE_LIMIT_SIGN_IN_MAX: '2', TRUSTED_PROXIES: '127.0.0.1' });
    // Signed up but never signed in: every sign-in attempt on this email below is the form's.
    const victim = { email: uniqueEmail('victim') };
    const signUp = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-up/email', {
      ...victim,
      password: PASSWORD,
      name: 'Victor Target',
    });
    expect(signUp.status).toBe(200);
    const statuses: number[] = [];
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      const browser = new FormBrowser({}, { 'x-forwarded-for': ip });
      const attempt = await authorizationRequest(config, app, 'user:read');
      const login = await browser.follow(
        attempt.url.toString().replace(stack.urls.gateway, replica.url),
        app.redirectUri,
      );
      const answer = await browser.fetch(formAction(login.text, '/login', login.url), {
        method: 'POST',
        form: { email: victim.email, password: 'guessing' },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it("ends the browser's OAuth login when it signs out of Gatehouse", async () => {
    const browser = new FormBrowser();
    const first = await authorizationRequest(config, app, 'user:read');
    await completeAuthorization(browser, first, app, { email: alice.email, password: PASSWORD });
    const session = browser.cookie('gatehouse_session') as string;
    expect(session).toEqual(expect.any(String));

    // Still signed in: the next authorization needs neither login nor consent again.
    const again = await authorizationRequest(config, app, 'user:read');
    expect((await completeAuthorization(browser, again, app, null)).consentPage).toBeNull();

    const signOut = await new ApiClient(stack.urls.gateway, { cookie: `gatehouse_session=${session}` }).post(
      '/api/auth/sign-out',
    );
    expect(signOut.status).toBe(200);
    await eventually(async () => {
      const after = await authorizationRequest(config, app, 'user:read');
      const page = await browser.follow(after.url.toString(), app.redirectUri);
      expect(page.reachedApp).toBe(false);
      expect(page.text).toContain('autocomplete="current-password"');
    }, 3000);
  });
});

describe('OAuth 2.1: signing out at the authorization server', () => {
  it('shows its own logout page (nothing external) and signs the browser out of Gatehouse too', async () => {
    const app = await registerApp(alice.client, { name: 'Logout Tester' });
    const config = await clientFor(stack, app);
    const browser = new FormBrowser();
    const attempt = await authorizationRequest(config, app, 'openid user:read');
    await completeAuthorization(browser, attempt, app, { email: alice.email, password: PASSWORD });
    const session = browser.cookie('gatehouse_session') as string;
    const asBrowser = new ApiClient(stack.urls.gateway, { cookie: `gatehouse_session=${session}` });
    expect((await asBrowser.get('/api/user/me')).status).toBe(200);

    const logout = await browser.fetch(`${stack.urls.gateway}/oauth2/session/end?client_id=${app.id}`);
    expect(logout.status).toBe(200);
    expect(logout.text).toContain('Sign out of Gatehouse?');
    expect(logout.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect(logout.headers.get('content-security-policy')).toContain("default-src 'none'");
    const xsrf = logout.text.match(/name="xsrf" value="([^"]+)"/)?.[1] as string;
    const confirmed = await browser.follow(`${stack.urls.gateway}/oauth2/session/end/confirm`, 'http://never', {
      method: 'POST',
      form: { xsrf, logout: 'yes' },
    });
    expect(confirmed.text).toContain('You are signed out');
    await eventually(async () => {
      expect((await asBrowser.get('/api/user/me')).status).toBe(401);
    }, 3000);
    expect(browser.cookie('gatehouse_session')).toBeUndefined();
  });
});

describe('OAuth 2.1: grants, revocation and introspection', () => {
  it('lists the apps a user let in and revokes one; its tokens stop working within seconds', async () => {
    const app = await registerApp(alice.client, { name: 'Grant Lister' });
    const { tokens } = await authorizeAsAlice(app, 'user:read offline_access');
    const grants = await alice.client.get('/api/user/oauth-grants?limit=100');
    expect(grants.body.meta).toMatchObject({ offset: 0, limit: 100, hasMore: false });
    const grant = grants.body.data.find((item: { app: { clientId: string } }) => item.app.clientId === app.id);
    expect((await alice.client.get('/api/user/oauth-grants?owner=me')).status).toBe(400);
    const byName = await alice.client.get('/api/user/oauth-grants?q=grant%20list');
    expect(byName.body.data.map((item: { id: string }) => item.id)).toEqual([grant.id]);
    expect(grant).toMatchObject({ app: { name: 'Grant Lister' }, scopes: expect.arrayContaining(['user:read']) });
    // The account export carries the apps and grants too (data portability), never a secret.
    const exported = (await alice.client.get('/api/user/me/export')).body.data;
    expect(exported.oauthGrants).toEqual(expect.arrayContaining([expect.objectContaining({ id: grant.id })]));
    expect(exported.oauthApps).toEqual(expect.arrayContaining([expect.objectContaining({ id: app.id })]));
    expect(JSON.stringify(exported)).not.toMatch(/secret_hash|secretHash|gcs_/);

    // Another user sees none of it and cannot revoke it.
    expect((await bob.client.get('/api/user/oauth-grants')).body.data).toEqual([]);
    expect((await bob.client.delete(`/api/user/oauth-grants/${grant.id}`)).status).toBe(404);
    expect((await bob.client.get(`/api/user/oauth-apps/${app.id}`)).status).toBe(404);

    expect((await bearer(tokens.access_token).get('/api/user/me')).status).toBe(200);
    expect((await alice.client.delete(`/api/user/oauth-grants/${grant.id}`)).status).toBe(200);
    await eventually(async () => {
      expect((await bearer(tokens.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
    const config = await clientFor(stack, app);
    await expect(oauth.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('revokes through /oauth2/token/revocation: a refresh token ends its grant, an access token ends itself', async () => {
    const app = await registerApp(alice.client, { name: 'Revoker' });
    const first = await authorizeAsAlice(app, 'user:read offline_access');
    const second = await authorizeAsAlice(app, 'user:read offline_access');
    const config = await clientFor(stack, app);

    await oauth.tokenRevocation(config, second.tokens.access_token);
    await eventually(async () => {
      expect((await bearer(second.tokens.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);

    await oauth.tokenRevocation(config, first.tokens.refresh_token as string);
    await eventually(async () => {
      expect((await bearer(first.tokens.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
  });

  it('introspects access tokens for the client they were issued to, and for no other', async () => {
    const app = await registerApp(alice.client, { name: 'Introspected' });
    const { tokens } = await authorizeAsAlice(app, 'user:read');
    const appConfig = await clientFor(stack, app);
    const active = await oauth.tokenIntrospection(appConfig, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: app.id, sub: alice.userId, scope: 'user:read' });
    expect((await oauth.tokenIntrospection(appConfig, 'not-a-token')).active).toBe(false);
    const other = await registerApp(alice.client, { name: 'Other', type: 'confidential' });
    expect((await oauth.tokenIntrospection(await clientFor(stack, other), tokens.access_token)).active).toBe(false);

    await oauth.tokenRevocation(appConfig, tokens.access_token);
    expect((await oauth.tokenIntrospection(appConfig, tokens.access_token)).active).toBe(false);
  });
});

describe('OAuth 2.1: app management', () => {
  it('shows a confidential app secret once, stores only its hash, and validates input', async () => {
    const created = await alice.client.post('/api/user/oauth-apps', {
      name: 'Billing Sync',
      type: 'confidential',
      redirectUris: ['https://billing.example.com/callback'],
      allowedScopes: ['user:read'],
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.data.clientSecret;
    expect(secret).toMatch(/^gcs_[0-9A-Za-z]{43,}$/);
    const fetched = await alice.client.get(`/api/user/oauth-apps/${created.body.data.id}`);
    expect(fetched.body.data.clientSecret).toBeUndefined();
    expect(fetched.body.data.secretStart).toBe(secret.slice(0, 10));
    const listed = await alice.client.get('/api/user/oauth-apps');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const [row] = await stack.identity.deps.orm.em
      .fork()
      .getConnection()
      .execute('select secret_hash from oauth_apps where id = ?', [created.body.data.id]);
    expect(row?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.secret_hash).not.toContain(secret);

    const badRedirect = await alice.client.post('/api/user/oauth-apps', {
      name: 'Bad',
      type: 'public',
      redirectUris: ['http://evil.example.com/cb'],
      allowedScopes: ['user:read'],
    });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.body.meta.errors[0]).toMatchObject({ field: 'redirectUris/0' });
    const badScope = await alice.client.post('/api/user/oauth-apps', {
      name: 'Bad',
      type: 'public',
      redirectUris: ['https://ok.example.com/cb'],
      allowedScopes: ['user:read', 'root'],
    });
    expect(badScope.body).toMatchObject({ status: 400, code: 'INVALID_SCOPE' });
    const unknownField = await alice.client.post('/api/user/oauth-apps', {
      name: 'Bad',
      type: 'public',
      redirectUris: ['https://ok.example.com/cb'],
      allowedScopes: ['user:read'],
      owner: 'someone-else',
    });
    expect(unknownField.status).toBe(400);
  });

  it('updates an app: new redirect URIs apply at once, narrowed scopes shrink live tokens, a rotated secret replaces the old', async () => {
    const app = await registerApp(alice.client, {
      name: 'Evolving',
      type: 'confidential',
      scopes: ['user:read', 'projects:read'],
    });
    const config = await clientFor(stack, app);
    const token = await oauth.clientCredentialsGrant(config, { scope: 'user:read projects:read' });
    const org = (await alice.client.get('/api/user/organizations')).body.data[0];
    const projectsPath = `/api/user/organizations/${org.id}/projects`;
    expect((await bearer(token.access_token).get(projectsPath)).status).toBe(200);
    // Another tenant's data stays out of reach, whatever the token's scopes.
    const otherTenant = await bearer(token.access_token).get(`/api/user/organizations/${bob.organizationId}/projects`);
    expect(otherTenant.status).toBe(404);

    const updated = await alice.client.put(`/api/user/oauth-apps/${app.id}`, {
      name: 'Evolved',
      redirectUris: ['https://evolved.example.com/cb'],
      allowedScopes: ['user:read'],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ name: 'Evolved', redirectUris: ['https://evolved.example.com/cb'] });
    expect(updated.body.data.clientSecret).toBeUndefined();
    // The token still carries projects:read, but the app may no longer use it.
    await eventually(async () => {
      expect((await bearer(token.access_token).get(projectsPath)).status).toBe(403);
    }, 3000);
    expect((await bearer(token.access_token).get('/api/user/me')).status).toBe(200);
    const oldRedirect = await authorizationRequest(config, app, 'user:read');
    expect((await new FormBrowser().fetch(oldRedirect.url.toString())).status).toBe(400);

    // Token times have one-second resolution: let the clock pass the old token's second first.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rotated = await alice.client.put(`/api/user/oauth-apps/${app.id}`, { rotateSecret: true });
    const newSecret: string = rotated.body.data.clientSecret;
    expect(newSecret).toMatch(/^gcs_/);
    expect(newSecret).not.toBe(app.clientSecret);
    // What was obtained with the old secret ends with it.
    await eventually(async () => {
      expect((await bearer(token.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
    await expect(oauth.clientCredentialsGrant(config, { scope: 'user:read' })).rejects.toMatchObject({ status: 401 });
    const fresh = await clientFor(stack, { ...app, clientSecret: newSecret });
    await expect(oauth.clientCredentialsGrant(fresh, { scope: 'user:read' })).resolves.toMatchObject({
      token_type: expect.stringMatching(/bearer/i),
    });

    const publicNow = await alice.client.put(`/api/user/oauth-apps/${app.id}`, { type: 'public', rotateSecret: true });
    expect(publicNow.body).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect((await alice.client.put(`/api/user/oauth-apps/${app.id}`, {})).status).toBe(400);
    expect((await bob.client.put(`/api/user/oauth-apps/${app.id}`, { name: 'Hijacked' })).status).toBe(404);
  });

  it('lets a confidential app use client credentials, acting for its owner within its scopes', async () => {
    const app = await registerApp(alice.client, {
      name: 'Nightly Export',
      type: 'confidential',
      scopes: ['user:read'],
    });
    const config = await clientFor(stack, app);
    const tokens = await oauth.clientCredentialsGrant(config, { scope: 'user:read' });
    const me = await bearer(tokens.access_token).get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(alice.email);
    await expect(oauth.clientCredentialsGrant(config, { scope: 'projects:write' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
    await expect(oauth.clientCredentialsGrant(config, { scope: 'user:read root' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
    const wrongSecret = await clientFor(stack, { ...app, clientSecret: 'gcs_wrong' });
    await expect(oauth.clientCredentialsGrant(wrongSecret, { scope: 'user:read' })).rejects.toMatchObject({
      status: 401,
      cause: [{ parameters: { error: 'invalid_client' } }],
    });

    // Deleting the app ends its tokens at once.
    expect((await alice.client.delete(`/api/user/oauth-apps/${app.id}`)).status).toBe(200);
    await eventually(async () => {
      expect((await bearer(tokens.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
  });

  it('refuses a token that was not signed by this server', async () => {
    const { tokens } = await authorizeAsAlice(await registerApp(alice.client, { name: 'Forger' }), 'user:read');
    const [header, payload] = tokens.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'user:read projects:write' })).toString('base64url');
    const forged = `${header}.${widened}.${tokens.access_token.split('.')[2]}`;
    const answer = await bearer(forged).get('/api/user/me');
    expect(answer.body).toMatchObject({ status: 401, code: 'INVALID_OR_EXPIRED_TOKEN' });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });
});

describe('OAuth 2.1: account deletion', () => {
  it('removes the apps a user owns and the grants they gave; their tokens stop working', async () => {
    const carol = await signedInUser(stack, 'Carol Leaving');
    const carolsApp = await registerApp(carol.client, {
      name: 'Carol Tool',
      type: 'confidential',
      scopes: ['user:read'],
    });
    const appToken = await oauth.clientCredentialsGrant(await clientFor(stack, carolsApp), { scope: 'user:read' });
    const aliceApp = await registerApp(alice.client, { name: 'Used By Carol' });
    const config = await clientFor(stack, aliceApp);
    const attempt = await authorizationRequest(config, aliceApp, 'user:read');
    const { callback } = await completeAuthorization(new FormBrowser(), attempt, aliceApp, {
      email: carol.email,
      password: PASSWORD,
    });
    const grantToken = await exchangeCode(config, attempt, callback);
    expect((await bearer(grantToken.access_token).get('/api/user/me')).status).toBe(200);

    expect((await carol.client.delete('/api/user/me')).status).toBe(200);
    await eventually(async () => {
      expect((await bearer(grantToken.access_token).get('/api/user/me')).status).toBe(401);
      expect((await bearer(appToken.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
    const [rows] = await stack.identity.deps.orm.em
      .fork()
      .getConnection()
      .execute(
        'select (select count(*) from oauth_apps where owner_user_id = ?)::int as apps, (select count(*) from oidc_payloads where account_id = ?)::int as payloads',
        [carol.userId, carol.userId],
      );
    expect(rows).toEqual({ apps: 0, payloads: 0 });
  });
});
