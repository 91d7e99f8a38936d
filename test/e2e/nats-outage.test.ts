import { eventually, PrivateServer } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { PASSWORD, uniqueEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/** The whole system on a private nats-server that this suite stops and starts. */
const nats = PrivateServer.nats();
let stack: Stack;

beforeAll(async () => {
  await nats.start();
  stack = await startStack({}, {}, { natsUrl: nats.url });
});
afterAll(async () => {
  await stack?.close();
  await nats.destroy();
});

describe('a NATS outage', () => {
  it('still signs people up, and provisions their organization exactly once when NATS is back', async () => {
    await nats.stop();
    const email = uniqueEmail('outage');
    const client = new ApiClient(stack.urls.gateway);
    const signUp = await client.post('/api/auth/sign-up/email', { email, password: PASSWORD, name: 'Patient Person' });
    expect(signUp.status).toBe(200);
    // Sign-in needs no NATS; resolving the new cookie does, so account routes answer 503 for now.
    expect((await client.post('/api/auth/sign-in/email', { email, password: PASSWORD })).status).toBe(200);
    const meanwhile = await client.get('/api/user/me');
    expect(meanwhile.status).toBe(503);
    expect(meanwhile.body.code).toBe('SERVICE_UNAVAILABLE');

    await nats.start();
    await eventually(
      async () => {
        const me = await client.get('/api/user/me');
        expect(me.status).toBe(200);
        expect(me.body.data.organizationCount).toBe(1);
      },
      20_000,
      250,
    );
    const organizations = await client.get('/api/user/organizations');
    expect(organizations.body.data).toHaveLength(1);
    await eventually(async () =>
      // The console's page (it calls GET /api/auth/verify-email from the browser).
      expect(stack.smtp.linkTo(email, '/verify-email')).toMatch(
        /^https?:\/\/[^/]+\/verify-email\?token=[A-Za-z0-9]{43}$/,
      ),
    );
  }, 60_000);
});
