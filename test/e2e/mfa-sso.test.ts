import { X509Certificate } from 'node:crypto';
import { newId } from '@gatehouse/contracts';
import type { MutableToken } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from '../support/client.js';
import { TestDnsServer } from '../support/dns-server.js';
import { signedInUser, verifiedUser } from '../support/flows.js';
import { currentSession, enableTotp, GENEROUS_LIMITS, identitySql, sessionRow } from '../support/mfa.js';
import { OidcTestIdp } from '../support/oidc-test-idp.js';
import {
  decodeResponse,
  encodeResponse,
  firstElement,
  idpUser,
  parseXml,
  postedForm,
  SamlTestIdp,
  serializeXml,
} from '../support/saml-idp.js';
import { addVerifiedDomain, uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCodeAt } from '../support/totp.js';

/**
 * SSO meets the second factor: an IdP that asserts MFA (OIDC `amr`, SAML AuthnContextClassRef) signs
 * the browser in directly with a session that counts as MFA; otherwise an account with a factor of its
 * own is sent to the console's /sign-in/mfa page with the challenge in the URL fragment, and completes
 * it through POST /api/auth/mfa/verify, which answers where to go next. OIDC against oauth2-mock-server
 * (a DNS-verified domain on dns2), SAML against saml-idp's engine, both on loopback.
 */

let stack: Stack;
let dns: TestDnsServer;
let oidcIdp: OidcTestIdp;
let samlIdp: SamlTestIdp;
/** What `amr` the OIDC IdP puts in the next ID token for an address (none when absent). */
const amrFor = new Map<string, unknown>();

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  oidcIdp = new OidcTestIdp();
  await oidcIdp.start();
  // After the IdP's own listener, which has put the person's claims (email among them) in the token.
  oidcIdp.server.service.on('beforeTokenSigning', (token: MutableToken) => {
    const email = token.payload.email;
    if (typeof email === 'string' && amrFor.has(email)) token.payload.amr = amrFor.get(email);
  });
  stack = await startStack(GENEROUS_LIMITS, { DNS_SERVERS: dns.address });
  samlIdp = new SamlTestIdp(() => stack.identity.deps.config.SAML_SP_CERTIFICATE);
  await samlIdp.start();
});
afterAll(async () => {
  await stack?.close();
  await samlIdp?.close();
  await oidcIdp?.stop();
  await dns?.close();
});

const RETURN_TO = '/projects';

function sessionCookieSet(response: ApiResponse): boolean {
  return response.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='));
}

/** Where the browser was sent for the second factor: the console page, the challenge only in the fragment. */
function challengeOfRedirect(response: ApiResponse): string {
  expect([302, 303]).toContain(response.status);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const location = new URL(response.headers.get('location') as string);
  expect(`${location.origin}${location.pathname}`).toBe(`${stack.identity.deps.config.PUBLIC_URL}/sign-in/mfa`);
  expect(location.search).toBe('');
  const challengeId = new URLSearchParams(location.hash.slice(1)).get('challenge');
  expect(challengeId).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9]{20,64}$/);
  expect(sessionCookieSet(response)).toBe(false);
  return challengeId as string;
}

describe('OIDC sign-in and the second factor', () => {
  let domain: string;

  beforeAll(async () => {
    domain = uniqueDomain('mfa-oidc');
    const owner = await verifiedUser(stack, 'Olga Owner');
    const base = `/api/user/organizations/${owner.organizationId}`;
    await addVerifiedDomain(owner.client, dns, base, domain);
    const created = await owner.client.post(`${base}/sso-connections`, {
      type: 'oidc',
      name: 'Acme IdP',
      issuer: oidcIdp.issuer,
      clientId: 'gatehouse-client',
      clientSecret: 'a-client-secret-for-the-test',
      domains: [domain],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });

  /** discover → IdP → callback, as the browser follows it; answers the callback's response. */
  async function oidcSignIn(browser: ApiClient, email: string, amr?: unknown): Promise<ApiResponse> {
    if (amr === undefined) amrFor.delete(email);
    else amrFor.set(email, amr);
    const started = await browser.get(`/api/auth/sso/discover?${new URLSearchParams({ email, returnTo: RETURN_TO })}`);
    expect(started.status, JSON.stringify(started.body)).toBe(302);
    const authorized = await fetch(started.headers.get('location') as string, { redirect: 'manual' });
    expect(authorized.status).toBe(302);
    const callback = new URL(authorized.headers.get('location') as string);
    return browser.get(`${callback.pathname}${callback.search}`);
  }

  /** A person whose account came through this IdP, with an authenticator app turned on. */
  async function ssoUserWithTotp(label: string): Promise<{ email: string; secret: string }> {
    const email = `${label}@${domain}`;
    const first = new ApiClient(stack.urls.gateway);
    const signedIn = await oidcSignIn(first, email);
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(302);
    return { email, secret: (await enableTotp(first)).secret };
  }

  it('signs in directly when the IdP asserts MFA: the session counts as sso + mfa', async () => {
    const { email } = await ssoUserWithTotp('asserted');
    for (const amr of [['mfa'], ['pwd', 'otp'], ['pin', 'hwk'], ['face', 'pwd'], ['pwd', 'sms']]) {
      const browser = new ApiClient(stack.urls.gateway);
      const finished = await oidcSignIn(browser, email, amr);
      expect(finished.status, JSON.stringify(amr)).toBe(302);
      expect(finished.headers.get('location')).toBe(RETURN_TO);
      expect(sessionCookieSet(finished)).toBe(true);
      const row = await sessionRow(stack, (await currentSession(browser)).id);
      expect(row.amr).toEqual(['sso', 'mfa']);
      expect(row.second_factor_at).not.toBeNull();
    }
  });

  it('without an MFA assertion, sends an account with a factor to the second-factor page, then signs in there', async () => {
    const { email, secret } = await ssoUserWithTotp('challenged');
    // None of these says more than one factor was used.
    const weak: unknown[] = [undefined, ['pwd'], [], 'mfa', [{ method: 'mfa' }], ['kba', 'user'], ['sms'], ['hwk']];
    const challenges: string[] = [];
    for (const amr of weak) {
      const browser = new ApiClient(stack.urls.gateway);
      const finished = await oidcSignIn(browser, email, amr);
      challenges.push(challengeOfRedirect(finished));
      expect((await browser.get('/api/user/me')).status).toBe(401);
    }
    // Each sign-in opened its own challenge; the last one is completed as the console page does it.
    expect(new Set(challenges).size).toBe(weak.length);
    const browser = new ApiClient(stack.urls.gateway);
    const described = await browser.post('/api/auth/mfa/challenge', { challengeId: challenges.at(-1) });
    expect(described.status, JSON.stringify(described.body)).toBe(200);
    expect(described.body.data.factors).toContain('totp');
    const verified = await browser.post('/api/auth/mfa/verify', {
      challengeId: challenges.at(-1),
      type: 'totp',
      code: totpCodeAt(secret, 1),
    });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body.data.redirectTo).toBe(RETURN_TO);
    expect(sessionCookieSet(verified)).toBe(true);
    const me = await browser.get('/api/user/me');
    expect(me.body.data.email).toBe(email);
    const row = await sessionRow(stack, verified.body.data.session.id);
    expect(row.amr).toEqual(expect.arrayContaining(['sso', 'otp', 'mfa']));
    expect(row.second_factor_at).not.toBeNull();
    // The session is the connection's, as any SSO session is (ssoRequired and PAT rules rely on it).
    expect(row.sso_connection_id).not.toBeNull();
  });

  it('an account without a factor signs in as before: straight to returnTo, amr sso', async () => {
    const browser = new ApiClient(stack.urls.gateway);
    const finished = await oidcSignIn(browser, `plain@${domain}`);
    expect(finished.status).toBe(302);
    expect(finished.headers.get('location')).toBe(RETURN_TO);
    const row = await sessionRow(stack, (await currentSession(browser)).id);
    expect(row.amr).toEqual(['sso']);
    expect(row.second_factor_at).toBeNull();
  });
});

describe('SAML sign-in and the second factor', () => {
  const REFEDS_MFA = 'https://refeds.org/profile/mfa';
  let connection: { id: string; domain: string; acsPath: string };

  beforeAll(async () => {
    const owner = await signedInUser(stack, 'Sara Saml');
    const domain = uniqueDomain('mfa-saml');
    const id = newId();
    // As sso-saml.test.ts sets one up: a verified domain and a connection to the test IdP.
    await identitySql(
      stack,
      `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
       values (?, ?, ?, ?, now(), now())`,
      [newId(), owner.organizationId, domain, `token-${id}`],
    );
    const certificate = {
      pem: samlIdp.keys.cert,
      notAfter: new Date(new X509Certificate(samlIdp.keys.cert).validTo).toISOString(),
    };
    await identitySql(
      stack,
      `insert into sso_connections (id, organization_id, type, name, enabled, domains, default_role, role_mapping,
         sso_required, allow_idp_initiated, saml_idp_entity_id, saml_idp_sso_url, saml_idp_certificates,
         created_at, updated_at, version)
       values (?, ?, 'saml', 'Corp SAML', true, ?, 'member', '[]'::jsonb, false, false, ?, ?, ?::jsonb, now(), now(), 1)`,
      [id, owner.organizationId, `{${domain}}`, samlIdp.entityId, samlIdp.ssoUrl, JSON.stringify([certificate])],
    );
    connection = { id, domain, acsPath: `/api/auth/sso/saml/${id}/acs` };
  });

  /**
   * Starts at discover, lets the IdP answer, sets the assertion's AuthnContextClassRef (signed again by
   * the IdP's key, as the IdP itself would sign it), and posts it to the ACS.
   */
  async function samlSignIn(browser: ApiClient, email: string, classRef?: string): Promise<ApiResponse> {
    const started = await browser.get(`/api/auth/sso/discover?${new URLSearchParams({ email, returnTo: RETURN_TO })}`);
    expect(started.status, JSON.stringify(started.body)).toBe(302);
    samlIdp.next = { user: idpUser(email) };
    const page = await fetch(started.headers.get('location') as string);
    let samlResponse = postedForm(await page.text()).SAMLResponse;
    if (classRef) {
      const doc = parseXml(decodeResponse(samlResponse));
      const ref = firstElement(doc, 'AuthnContextClassRef');
      while (ref.firstChild) ref.removeChild(ref.firstChild);
      ref.appendChild(doc.createTextNode(classRef));
      samlResponse = encodeResponse(samlIdp.resignAssertion(serializeXml(doc)));
    }
    return browser.request('POST', connection.acsPath, {
      rawBody: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: samlIdp.url },
    });
  }

  it('signs in directly with the REFEDS MFA context, and meets the second factor without it', async () => {
    const email = `sam@${connection.domain}`;
    const first = new ApiClient(stack.urls.gateway);
    const created = await samlSignIn(first, email);
    expect(created.status, JSON.stringify(created.body)).toBe(303);
    const { secret } = await enableTotp(first);

    for (const classRef of [
      REFEDS_MFA,
      'http://schemas.microsoft.com/claims/multipleauthn',
      'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
    ]) {
      const browser = new ApiClient(stack.urls.gateway);
      const direct = await samlSignIn(browser, email, classRef);
      expect(direct.status, classRef).toBe(303);
      expect(direct.headers.get('location')).toBe(RETURN_TO);
      const row = await sessionRow(stack, (await currentSession(browser)).id);
      expect(row.amr).toEqual(['sso', 'mfa']);
      expect(row.second_factor_at).not.toBeNull();
    }

    for (const classRef of [
      undefined,
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      'https://refeds.org/profile/sfa',
    ]) {
      const browser = new ApiClient(stack.urls.gateway);
      const challenged = await samlSignIn(browser, email, classRef);
      const challengeId = challengeOfRedirect(challenged);
      if (classRef !== undefined) continue;
      const verified = await browser.post('/api/auth/mfa/verify', {
        challengeId,
        type: 'totp',
        code: totpCodeAt(secret, 1),
      });
      expect(verified.status, JSON.stringify(verified.body)).toBe(200);
      expect(verified.body.data.redirectTo).toBe(RETURN_TO);
      expect((await sessionRow(stack, verified.body.data.session.id)).amr).toEqual(
        expect.arrayContaining(['sso', 'otp', 'mfa']),
      );
    }
  });
});
