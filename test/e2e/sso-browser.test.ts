import { randomBytes } from 'node:crypto';
import { newId } from '@gatehouse/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealSecret } from '../../services/identity/src/sso/secrets.js';
import { launchBrowser } from '../support/console.js';
import { signedInUser } from '../support/flows.js';
import { OidcTestIdp } from '../support/oidc-test-idp.js';
import { SamlIdpServer } from '../support/saml-idp-server.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Enterprise SSO in headless Chromium, the whole round trip a person makes: identify → discover →
 * the IdP (saml-idp's real login page, served by its own process on `localhost`, so its form post
 * to the gateway on 127.0.0.1 is cross-site; oauth2-mock-server redirects straight back) → ACS or
 * callback → signed in. The browser keeps the `__Host-gatehouse_sso` state cookie (Secure) on plain
 * http://127.0.0.1: Chromium counts loopback as a secure context for cookies.
 */

let stack: Stack;
let browser: Browser;
let samlIdp: SamlIdpServer;
/** Signs in whoever the authorization request's login_hint (the typed email) names. */
let oidcIdp: OidcTestIdp;
let saml: { id: string; domain: string };
let oidc: { id: string; domain: string };

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  samlIdp = new SamlIdpServer('localhost');
  await samlIdp.reservePort();
  saml = await samlConnection();
  await samlIdp.start(`${stack.urls.gateway}/api/auth/sso/saml/${saml.id}/metadata`);
  oidcIdp = new OidcTestIdp();
  await oidcIdp.start();
  oidc = await oidcConnection();
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await samlIdp?.close();
  await oidcIdp?.stop();
  await stack?.close();
});

/** An owner's organization with a domain already proven (DNS proof is sso-oidc's subject). */
async function organizationWithDomain(label: string) {
  const owner = await signedInUser(stack, 'Olga Owner');
  const domain = `${label}-${randomBytes(5).toString('hex')}.example.test`;
  await stack.identity.deps.orm.em.fork().execute(
    `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
       values (?, ?, ?, ?, now(), now())`,
    [newId(), owner.organizationId, domain, `token-${randomBytes(8).toString('hex')}`],
  );
  return { organizationId: owner.organizationId, domain };
}

async function insertConnection(organizationId: string, domain: string, fields: Record<string, unknown>) {
  const id = newId();
  const columns = Object.keys(fields);
  await stack.identity.deps.orm.em.fork().execute(
    `insert into sso_connections (id, organization_id, name, enabled, domains, default_role, role_mapping,
       sso_required, allow_idp_initiated, created_at, updated_at, version, ${columns.join(', ')})
     values (?, ?, 'Corp IdP', true, ?, 'member', '[]'::jsonb, false, false, now(), now(), 1,
       ${columns.map(() => '?').join(', ')})`,
    [id, organizationId, `{${domain}}`, ...Object.values(fields)],
  );
  return id;
}

async function samlConnection() {
  const { organizationId, domain } = await organizationWithDomain('saml-browser');
  const notAfter = new Date(Date.now() + 29 * 86_400_000).toISOString();
  const id = await insertConnection(organizationId, domain, {
    type: 'saml',
    saml_idp_entity_id: samlIdp.entityId,
    saml_idp_sso_url: samlIdp.ssoUrl,
    saml_idp_certificates: JSON.stringify([{ pem: samlIdp.keys.cert, notAfter }]),
  });
  return { id, domain };
}

async function oidcConnection() {
  const { organizationId, domain } = await organizationWithDomain('oidc-browser');
  const secret = sealSecret(stack.identity.deps.config.SSO_SECRET_KEY, 'a-client-secret-for-the-browser');
  const id = await insertConnection(organizationId, domain, {
    type: 'oidc',
    oidc_issuer: oidcIdp.issuer,
    oidc_client_id: 'gatehouse-browser',
    oidc_client_secret: secret,
  });
  return { id, domain };
}

/** The sign-in page's first step, run by the page itself: which way does this address sign in? */
async function identify(page: Page, email: string): Promise<{ method: string; ssoRedirectUrl?: string }> {
  await page.goto(`${stack.urls.gateway}/readyz`);
  const answer = await page.evaluate(
    async (body) => {
      const response = await fetch('/api/auth/identify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return response.json();
    },
    { email },
  );
  return answer.data;
}

/** What the signed-in browser's own request to /api/user/me answers. */
async function meInBrowser(page: Page): Promise<{ status: number; email?: string; id?: string }> {
  return page.evaluate(async () => {
    const response = await fetch('/api/user/me');
    const body = await response.json();
    return { status: response.status, email: body.data?.email, id: body.data?.id };
  });
}

async function cookieNamed(context: BrowserContext, name: string) {
  return (await context.cookies(stack.urls.gateway)).find((cookie) => cookie.name === name);
}

/** identify → discover (returnTo /api/user/me); resolves once the gateway has sent the browser on to the IdP. */
async function startSso(page: Page, email: string, idpOrigin: string): Promise<void> {
  const routed = await identify(page, email);
  expect(routed.method).toBe('sso');
  const discover = new URL(routed.ssoRedirectUrl as string);
  discover.searchParams.set('returnTo', '/api/user/me');
  const atIdp = page.waitForRequest((request) => request.url().startsWith(idpOrigin));
  await page.goto(discover.toString());
  await atIdp;
}

describe('enterprise SSO in a real browser', () => {
  it('SAML: identify, saml-idp’s login page, its form post to the ACS, then signed in', async () => {
    const email = `sam.${randomBytes(3).toString('hex')}@${saml.domain}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await startSso(page, email, samlIdp.url);

    // Chromium kept the Secure, SameSite=None state cookie it was given over http://127.0.0.1.
    const state = await cookieNamed(context, '__Host-gatehouse_sso');
    expect(state, 'Chromium refused the __Host- state cookie on http://127.0.0.1').toMatchObject({
      secure: true,
      httpOnly: true,
      sameSite: 'None',
      path: '/',
    });

    // saml-idp's own page: the person says who they are and presses Sign in.
    await page.waitForURL((url) => url.toString().startsWith(samlIdp.ssoUrl));
    await page.getByLabel('Subject NameID').fill(email);
    await page.getByLabel('E-Mail Address').fill(email);
    const acsPost = page.waitForRequest(
      (request) => request.method() === 'POST' && request.url().endsWith(`/api/auth/sso/saml/${saml.id}/acs`),
    );
    await page.locator('#btn-sign-in').click();
    // Its auto-posting form, cross-site (localhost → 127.0.0.1), carried the state cookie along.
    const posted = await acsPost;
    expect(await posted.headerValue('cookie')).toContain('__Host-gatehouse_sso=');

    await page.waitForURL(`${stack.urls.gateway}/api/user/me`);
    const session = await cookieNamed(context, 'gatehouse_session');
    expect(session).toMatchObject({ httpOnly: true });
    const me = await meInBrowser(page);
    expect(me).toMatchObject({ status: 200, email });
    await context.close();
  });

  it('OIDC: identify, the IdP redirects straight back, the callback signs the browser in', async () => {
    const email = `olive.${randomBytes(3).toString('hex')}@${oidc.domain}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const callback = page.waitForRequest((request) =>
      request.url().startsWith(`${stack.urls.gateway}/api/auth/sso/callback`),
    );
    await startSso(page, email, oidcIdp.issuer);
    expect(await (await callback).headerValue('cookie')).toContain('__Host-gatehouse_sso=');

    await page.waitForURL(`${stack.urls.gateway}/api/user/me`);
    const me = await meInBrowser(page);
    expect(me).toMatchObject({ status: 200, email });
    await context.close();
  });
});
