import { eventually, TcpRelay } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createKey, keyClient, PASSWORD, signedInUser, uniqueEmail } from '../support/flows.js';
import { registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/** Identity reaches the real PostgreSQL through a relay this suite can cut. */
const relay = new TcpRelay({ host: '127.0.0.1', port: 5432 });
let stack: Stack;

beforeAll(async () => {
  await relay.start();
  stack = await startStack(
    { RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_SIGN_IN_MAX: '1000' },
    {},
    { identityDatabasePort: relay.port },
  );
});
afterAll(async () => {
  await relay.restore().catch(() => undefined);
  await stack?.close();
});

describe('PostgreSQL outage (identity loses its database)', () => {
  it('answers 503 on every path — API, OAuth token endpoint, OAuth pages — writes nothing, and recovers', async () => {
    const user = await signedInUser(stack, 'Pat Outage');
    const key = await createKey(user.client, { name: 'k', scopes: ['user:read'] });
    const client = keyClient(stack, key.key);
    const app = await registerApp(user.client, { name: 'Outage App', type: 'confidential', scopes: ['user:read'] });
    expect((await client.get('/api/user/me')).status).toBe(200);
    const anonymous = new ApiClient(stack.urls.gateway);
    const newcomer = { email: uniqueEmail('newcomer'), password: PASSWORD, name: 'New Comer' };

    await relay.cut();

    const me = await client.get('/api/user/me');
    expect(me.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    const signUp = await anonymous.post('/api/auth/sign-up/email', newcomer);
    expect(signUp.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });

    const basic = Buffer.from(`${app.id}:${app.clientSecret}`).toString('base64');
    const token = await fetch(`${stack.urls.gateway}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=user%3Aread',
    });
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    expect(await token.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The service is unavailable, retry shortly',
    });
    const page = await fetch(
      `${stack.urls.gateway}/oauth2/auth?client_id=${app.id}&response_type=code&scope=user%3Aread&redirect_uri=${encodeURIComponent(app.redirectUri)}`,
      { redirect: 'manual' },
    );
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('The service is unavailable, retry shortly');

    await relay.restore();

    await eventually(async () => expect((await client.get('/api/user/me')).status).toBe(200), 10_000);
    // Nothing of the refused sign-up was kept: the same email signs up now.
    expect((await anonymous.post('/api/auth/sign-up/email', newcomer)).status).toBe(200);
  });
});
