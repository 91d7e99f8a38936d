import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { PASSWORD, signedInUser } from '../support/flows.js';
import { authorizationRequest, clientFor, completeAuthorization, exchangeCode, FormBrowser } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

const INITIAL_ACCESS_TOKEN = 'registration-token-for-tests-0123456789abcdef';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' },
    { OAUTH_DYNAMIC_REGISTRATION: true, OAUTH_REGISTRATION_TOKEN: INITIAL_ACCESS_TOKEN },
  );
});
afterAll(async () => {
  await stack?.close();
});

describe('OAuth 2.1: RFC 7591 dynamic client registration (enabled by config)', () => {
  it('registers a client with an initial access token; the secret is shown once and stored hashed', async () => {
    const anonymous = new ApiClient(stack.urls.gateway);
    const discovery = await anonymous.get('/oauth2/.well-known/openid-configuration');
    expect(discovery.body.registration_endpoint).toBe(`${stack.urls.gateway}/oauth2/reg`);

    const metadata = {
      client_name: 'Self-registered RP',
      redirect_uris: ['https://rp.example.com/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid user:read offline_access',
    };
    const refused = await anonymous.post('/oauth2/reg', metadata);
    expect(refused.status).toBe(401);
    const registrar = { Authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` };
    const plainHttp = await anonymous.post(
      '/oauth2/reg',
      { ...metadata, redirect_uris: ['http://rp.example.com/callback'] },
      registrar,
    );
    expect(plainHttp.status).toBe(400);
    expect(plainHttp.body.error).toBe('invalid_redirect_uri');
    const unknownScope = await anonymous.post('/oauth2/reg', { ...metadata, scope: 'openid root' }, registrar);
    expect(unknownScope.body.error).toBe('invalid_client_metadata');
    const countApps = async () =>
      (
        await stack.identity.deps.orm.em
          .fork()
          .getConnection()
          .execute('select count(*)::int as n from oauth_apps where registered')
      )[0]?.n;
    expect(await countApps()).toBe(0);

    const registered = await anonymous.post('/oauth2/reg', metadata, {
      Authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`,
    });
    expect(registered.status).toBe(201);
    expect(registered.body.client_id).toMatch(/^oa_[0-9A-Z]{26}$/);
    const secret: string = registered.body.client_secret;
    expect(secret).toMatch(/^gcs_/);

    const [row] = await stack.identity.deps.orm.em
      .fork()
      .getConnection()
      .execute('select registered, owner_user_id, secret_hash from oauth_apps where id = ?', [
        registered.body.client_id,
      ]);
    expect(row).toMatchObject({
      registered: true,
      owner_user_id: null,
      secret_hash: createHash('sha256').update(secret).digest('hex'),
    });

    // The registered client runs the whole flow with its secret.
    const user = await signedInUser(stack, 'Rita Registered');
    const app = {
      id: registered.body.client_id,
      clientSecret: secret,
      redirectUri: metadata.redirect_uris[0] as string,
    };
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'user:read');
    const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, {
      email: user.email,
      password: PASSWORD,
    });
    const tokens = await exchangeCode(config, attempt, callback);
    const me = await new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${tokens.access_token}` }).get(
      '/api/user/me',
    );
    expect(me.body.data.email).toBe(user.email);
  });
});
