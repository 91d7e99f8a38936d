import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedKeyPair } from '../../infra/local/keys.js';
import { ApiClient, type Json } from '../support/client.js';
import { launchBrowser } from '../support/console.js';
import { TestDnsServer } from '../support/dns-server.js';
import { PASSWORD, signedInUser, verifiedUser } from '../support/flows.js';
import { currentSession, GENEROUS_LIMITS, identitySql } from '../support/mfa.js';
import { addVerifiedDomain, uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';
import {
  addVirtualAuthenticator,
  createCredential,
  getAssertion,
  type VirtualAuthenticator,
} from '../support/webauthn.js';

let stack: Stack;
let dns: TestDnsServer;
let browser: Browser;

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  stack = await startStack(GENEROUS_LIMITS, { DNS_SERVERS: dns.address }, { publicHost: 'localhost' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await dns?.close();
});

interface Device {
  context: BrowserContext;
  page: Page;
  authenticator: VirtualAuthenticator;
  close(): Promise<void>;
}

/** A browser profile on the public origin with a virtual platform authenticator (user verification on). */
async function device(): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // WebAuthn runs on the public origin (`localhost`, the relying-party id).
  await page.goto(`${stack.urls.gateway}/livez`);
  const authenticator = await addVirtualAuthenticator(page);
  return { context, page, authenticator, close: () => context.close() };
}

/** A signed-in account that registered a passkey on `on` (its first factor, so recovery codes come too). */
async function userWithPasskey(on: Device, existing?: Awaited<ReturnType<typeof signedInUser>>) {
  const user = existing ?? (await signedInUser(stack, 'Passkey Person'));
  const started = await user.client.post('/api/user/mfa/passkeys/register/options', {});
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const credential = await createCredential(on.page, started.body.data.options);
  const registered = await user.client.post('/api/user/mfa/passkeys/register/verify', {
    ceremonyId: started.body.data.ceremonyId,
    credential,
    name: 'Laptop',
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return {
    ...user,
    passkey: registered.body.data.passkey,
    recoveryCodes: registered.body.data.recoveryCodes as string[],
  };
}

async function passwordlessOptions(client: ApiClient) {
  const started = await client.post('/api/auth/passkey/options', {});
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  return started.body.data as { ceremonyId: string; options: Json };
}

describe('passkeys', () => {
  it('signs in without a password: options, assertion, session with amr hwk and mfa', async () => {
    const laptop = await device();
    try {
      const user = await userWithPasskey(laptop);
      const browserClient = new ApiClient(stack.urls.gateway);
      const { ceremonyId, options } = await passwordlessOptions(browserClient);
      // Discoverable: no account named, and user verification is required (two factors in one).
      expect(options.allowCredentials ?? []).toEqual([]);
      expect(options.userVerification).toBe('required');
      expect(options.rpId).toBe('localhost');
      const assertion = await getAssertion(laptop.page, options);
      const signedIn = await browserClient.post('/api/auth/passkey/verify', { ceremonyId, credential: assertion });
      expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
      expect(signedIn.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='))).toBe(true);
      expect(signedIn.body.data.user.id).toBe(user.userId);
      const session = await currentSession(browserClient);
      // The virtual authenticator is not backup eligible: a device-bound key (hwk).
      expect(session.amr).toEqual(['hwk', 'mfa']);
      expect(session.secondFactorAt).not.toBeNull();
      const history = await browserClient.get('/api/user/me/login-history?sort=-at&limit=1');
      expect(history.body.data[0]).toMatchObject({ method: 'passkey', success: true });
      // The ceremony is single use: the same assertion again is refused.
      const again = await browserClient.post('/api/auth/passkey/verify', { ceremonyId, credential: assertion });
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    } finally {
      await laptop.close();
    }
  });

  it('is the second factor after a password, with options bound to the challenge', async () => {
    const laptop = await device();
    try {
      const user = await userWithPasskey(laptop);
      const client = new ApiClient(stack.urls.gateway);
      const signIn = await client.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD });
      expect(signIn.body.data).toMatchObject({ mfaRequired: true, factors: ['passkey', 'recovery_code'] });
      expect(signIn.headers.getSetCookie()).toEqual([]);
      const options = signIn.body.data.passkeyOptions;
      expect(options.allowCredentials.map((allowed: Json) => allowed.id)).toEqual([
        Buffer.from((await laptop.authenticator.credentials())[0]!.credentialId, 'base64').toString('base64url'),
      ]);
      const assertion = await getAssertion(laptop.page, options);
      const verified = await client.post('/api/auth/mfa/verify', {
        challengeId: signIn.body.data.challengeId,
        type: 'passkey',
        credential: assertion,
      });
      expect(verified.status, JSON.stringify(verified.body)).toBe(200);
      expect((await currentSession(client)).amr).toEqual(['pwd', 'hwk', 'mfa']);
      const history = await client.get('/api/user/me/login-history?sort=-at&limit=1');
      expect(history.body.data[0]).toMatchObject({ method: 'password', secondFactor: 'passkey', success: true });
    } finally {
      await laptop.close();
    }
  });

  it('refuses an assertion made for another ceremony or challenge', async () => {
    const laptop = await device();
    try {
      const user = await userWithPasskey(laptop);
      const client = new ApiClient(stack.urls.gateway);
      const first = await passwordlessOptions(client);
      const second = await passwordlessOptions(client);
      const forFirst = await getAssertion(laptop.page, first.options);
      const crossed = await client.post('/api/auth/passkey/verify', {
        ceremonyId: second.ceremonyId,
        credential: forFirst,
      });
      expect(crossed.status).toBe(401);
      expect(crossed.body.code).toBe('INVALID_CREDENTIALS');
      expect(crossed.headers.getSetCookie()).toEqual([]);
      // The passwordless ceremony's assertion does not answer a sign-in challenge either.
      const signIn = await client.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD });
      const third = await passwordlessOptions(client);
      const forThird = await getAssertion(laptop.page, third.options);
      const wrongChallenge = await client.post('/api/auth/mfa/verify', {
        challengeId: signIn.body.data.challengeId,
        type: 'passkey',
        credential: forThird,
      });
      expect(wrongChallenge.status).toBe(401);
      expect(wrongChallenge.body).toMatchObject({ code: 'INVALID_CREDENTIALS', meta: { attemptsLeft: 4 } });
      // Garbage in the shape of a credential is a refusal, never a 500.
      const forged = await client.post('/api/auth/passkey/verify', {
        ceremonyId: (await passwordlessOptions(client)).ceremonyId,
        credential: { ...forFirst, response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' } },
      });
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('INVALID_CREDENTIALS');
      const unknownCeremony = await client.post('/api/auth/passkey/verify', {
        ceremonyId: `${first.ceremonyId.slice(0, -3)}abc`,
        credential: forFirst,
      });
      expect(unknownCeremony.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
      expect((await client.get('/api/user/me')).status).toBe(401);
    } finally {
      await laptop.close();
    }
  });

  it('refuses a passwordless sign-in to a deactivated account', async () => {
    const laptop = await device();
    try {
      const user = await userWithPasskey(laptop);
      await identitySql(stack, 'update users set is_active = false where id = ?', [user.userId]);
      const client = new ApiClient(stack.urls.gateway);
      const { ceremonyId, options } = await passwordlessOptions(client);
      const refused = await client.post('/api/auth/passkey/verify', {
        ceremonyId,
        credential: await getAssertion(laptop.page, options),
      });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('USER_NOT_ACTIVE');
      expect(refused.headers.getSetCookie()).toEqual([]);
      const [event] = await identitySql(
        stack,
        'select method, success, failure_reason from login_events where user_id = ? order by id desc limit 1',
        [user.userId],
      );
      expect(event).toEqual({ method: 'passkey', success: false, failure_reason: 'deactivated' });
    } finally {
      await laptop.close();
    }
  });

  it('meets an SSO-required domain like a password does: refused, but an owner keeps the way in', async () => {
    const ownerLaptop = await device();
    const memberLaptop = await device();
    try {
      const domain = uniqueDomain('passkeys');
      const owner = await userWithPasskey(ownerLaptop, await verifiedUser(stack, 'Owner', `boss@${domain}`));
      const member = await userWithPasskey(memberLaptop, await signedInUser(stack, 'Member', `member@${domain}`));
      const base = `/api/user/organizations/${owner.organizationId}`;
      await addVerifiedDomain(owner.client, dns, base, domain);
      const created = await owner.client.post(`${base}/sso-connections`, {
        type: 'saml',
        name: 'Strict IdP',
        idpEntityId: 'https://idp.example/strict',
        idpSsoUrl: 'https://idp.example/strict/sso',
        idpCertificates: [selfSignedKeyPair('Strict IdP', 30).certificatePem],
        domains: [domain],
        ssoRequired: true,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      const memberBrowser = new ApiClient(stack.urls.gateway);
      const memberCeremony = await passwordlessOptions(memberBrowser);
      const refused = await memberBrowser.post('/api/auth/passkey/verify', {
        ceremonyId: memberCeremony.ceremonyId,
        credential: await getAssertion(memberLaptop.page, memberCeremony.options),
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(403);
      expect(refused.body.code).toBe('SSO_REQUIRED');
      expect(refused.headers.getSetCookie()).toEqual([]);
      const [event] = await identitySql(
        stack,
        'select success, failure_reason from login_events where user_id = ? order by id desc limit 1',
        [member.userId],
      );
      expect(event).toEqual({ success: false, failure_reason: 'sso_required' });

      const ownerBrowser = new ApiClient(stack.urls.gateway);
      const ownerCeremony = await passwordlessOptions(ownerBrowser);
      const breakGlass = await ownerBrowser.post('/api/auth/passkey/verify', {
        ceremonyId: ownerCeremony.ceremonyId,
        credential: await getAssertion(ownerLaptop.page, ownerCeremony.options),
      });
      expect(breakGlass.status, JSON.stringify(breakGlass.body)).toBe(200);
      expect(breakGlass.body.data.user.id).toBe(owner.userId);
    } finally {
      await memberLaptop.close();
      await ownerLaptop.close();
    }
  });

  it('refuses a cloned authenticator whose counter went backwards, and mails the owner', async () => {
    const laptop = await device();
    const clone = await device();
    try {
      const user = await userWithPasskey(laptop);
      const [original] = await laptop.authenticator.credentials();
      expect(original).toBeDefined();
      // The owner uses the real one, so the stored counter moves past the copy's.
      const client = new ApiClient(stack.urls.gateway);
      const own = await passwordlessOptions(client);
      const ownAssertion = await getAssertion(laptop.page, own.options);
      expect(
        (await client.post('/api/auth/passkey/verify', { ceremonyId: own.ceremonyId, credential: ownAssertion }))
          .status,
      ).toBe(200);

      await clone.authenticator.addCredential({ ...original!, signCount: 0 });
      const attacker = new ApiClient(stack.urls.gateway);
      const ceremony = await passwordlessOptions(attacker);
      const copied = await getAssertion(clone.page, ceremony.options);
      const refused = await attacker.post('/api/auth/passkey/verify', {
        ceremonyId: ceremony.ceremonyId,
        credential: copied,
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(401);
      expect(refused.body.code).toBe('INVALID_CREDENTIALS');
      expect(refused.headers.getSetCookie()).toEqual([]);
      await eventually(async () => {
        const mail = stack.smtp.latestTo(user.email);
        expect(mail?.raw).toMatch(/may have been copied/);
      }, 20_000);
      // The genuine authenticator still works.
      const next = await passwordlessOptions(client);
      const genuine = await getAssertion(laptop.page, next.options);
      expect(
        (await client.post('/api/auth/passkey/verify', { ceremonyId: next.ceremonyId, credential: genuine })).status,
      ).toBe(200);
    } finally {
      await clone.close();
      await laptop.close();
    }
  });
});
