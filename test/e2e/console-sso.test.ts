import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedKeyPair } from '../../infra/local/keys.js';
import { ApiClient } from '../support/client.js';
import {
  type ConsoleSession,
  expectAccessible,
  launchBrowser,
  openConsole,
  screenshot,
  signInByForm,
} from '../support/console.js';
import { TestDnsServer } from '../support/dns-server.js';
import { PASSWORD, verifiedUser } from '../support/flows.js';
import { OidcTestIdp } from '../support/oidc-test-idp.js';
import { uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The single sign-on screens, clicked through by an owner: a domain proven over a real DNS server
 * on loopback, an OIDC connection to a real (mock) OpenID provider, then a person of that domain
 * signing in to the console through it; editing, the stale-write guard, deleting; and what a
 * non-owner sees. Every step is checked against what the API then holds.
 */
let stack: Stack;
let browser: Browser;
let dns: TestDnsServer;
let idp: OidcTestIdp;

let owner: Awaited<ReturnType<typeof verifiedUser>>;
let base: string;
let domain: string;
let connectionId: string;
/** The owner's console, kept open from one step to the next. */
let ownerSession: ConsoleSession;
const CLIENT_SECRET = 'a-client-secret-typed-in-the-console';

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  idp = new OidcTestIdp();
  await idp.start();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_EMAIL_MAX: '1000' },
    { DNS_SERVERS: dns.address },
  );
  browser = await launchBrowser();
  owner = await verifiedUser(stack, 'Olga Owner');
  base = `/api/user/organizations/${owner.organizationId}`;
  domain = uniqueDomain('console-sso');
}, 120_000);

afterAll(async () => {
  await ownerSession?.context.close();
  await browser?.close();
  await stack?.close();
  await idp?.stop();
  await dns?.close();
}, 120_000);

async function identify(email: string): Promise<string> {
  const answer = await new ApiClient(stack.urls.gateway).post('/api/auth/identify', { email });
  expect(answer.status).toBe(200);
  return answer.body.data.method;
}

/** The item of the domains list for this domain. */
const domainItem = (page: Page) =>
  page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: domain }) });

describe('the SSO screens', { timeout: 60_000 }, () => {
  it('an owner adds a domain, is told what failed, publishes the TXT record and verifies it', async () => {
    ownerSession = await openConsole(browser, stack);
    const { page } = ownerSession;
    await signInByForm(page, owner.email, PASSWORD);
    await page.getByRole('link', { name: 'Single sign-on' }).click();
    await page.getByRole('heading', { level: 1, name: 'Single sign-on' }).waitFor();
    await page.getByText('No domains yet.').waitFor();
    await page.getByText('No connections yet.').waitFor();
    await expectAccessible(page, 'the SSO page, empty');

    // A wrong domain is refused next to its input.
    await page.getByLabel('Domain', { exact: true }).fill('not a domain');
    await page.getByRole('button', { name: 'Add domain' }).click();
    const domainInput = page.getByLabel('Domain', { exact: true });
    await expect.poll(() => domainInput.getAttribute('aria-invalid')).toBe('true');
    await expect(page.locator('.field-error').first().textContent()).resolves.toContain('domain name');

    await domainInput.fill(domain);
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText(`Added ${domain}.`).waitFor();
    const item = domainItem(page);
    await item.getByText('Pending verification').waitFor();

    // The record shown is the one the API holds.
    const listed = await owner.client.get(`${base}/domains`);
    const record = listed.body.data[0];
    expect(record.domain).toBe(domain);
    const codes = await item.locator('code').allTextContents();
    expect(codes).toEqual([record.verification.name, record.verification.value]);
    await item.getByRole('button', { name: `Copy TXT record value for ${domain}` }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(record.verification.value);

    // Not published yet: the failure names what was looked up, and that DNS takes time.
    await item.getByRole('button', { name: `Verify ${domain}` }).click();
    const failure = item.getByRole('alert');
    await failure.waitFor();
    const failureText = (await failure.textContent()) ?? '';
    expect(failureText).toContain(record.verification.name);
    expect(failureText).toContain('can take');
    expect((await owner.client.get(`${base}/domains`)).body.data[0].verified).toBe(false);
    await screenshot(page, 'sso-domain-pending-1280');

    dns.publish(record.verification.name, record.verification.value);
    await item.getByRole('button', { name: `Verify ${domain}` }).click();
    await item.getByText('Verified', { exact: true }).waitFor();
    await page.getByText(`${domain} is verified.`).waitFor();
    expect(await item.getByRole('button', { name: `Verify ${domain}` }).count()).toBe(0);
    expect((await owner.client.get(`${base}/domains`)).body.data[0].verified).toBe(true);
  });

  it('an owner creates an OIDC connection by clicking, sees the redirect URI, then enables it', async () => {
    const { page } = ownerSession;
    // Missing settings are named by the API, next to their inputs.
    await page.getByLabel('Name', { exact: true }).fill('Corp OIDC');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await expect.poll(() => page.getByLabel('Issuer URL').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Client secret').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('OpenID Connect').check();
    await page.getByLabel('Name', { exact: true }).fill('Corp OIDC');
    await page.getByRole('checkbox', { name: domain }).check();
    await page.getByLabel('Issuer URL').fill(idp.issuer);
    await page.getByLabel('Client ID').fill('gatehouse-console');
    await page.getByLabel('Client secret').fill(CLIENT_SECRET);
    await expectAccessible(page, 'the SSO page with a verified domain and the new connection form');
    await screenshot(page, 'sso-page-1280');
    await page.getByRole('button', { name: 'Create connection' }).click();

    await page.getByRole('heading', { level: 1, name: 'Corp OIDC' }).waitFor();
    connectionId = page.url().split('/').pop() ?? '';
    const stored = await owner.client.get(`${base}/sso-connections/${connectionId}`);
    expect(stored.status).toBe(200);
    expect(stored.body.data).toMatchObject({
      type: 'oidc',
      name: 'Corp OIDC',
      enabled: false,
      issuer: idp.issuer,
      clientId: 'gatehouse-console',
      hasClientSecret: true,
      domains: [domain],
    });
    await page.getByText('Connection created.').waitFor();
    const redirectUri = `${stack.urls.gateway}/api/auth/sso/callback`;
    expect(stored.body.data.serviceProvider.oidcRedirectUri).toBe(redirectUri);
    await expect(page.locator('.copy-value code').allTextContents()).resolves.toEqual([redirectUri]);
    // The secret typed is never shown back, anywhere on the page.
    expect(await page.content()).not.toContain(CLIENT_SECRET);
    await expect(page.getByLabel('New client secret').inputValue()).resolves.toBe('');
    expect(await identify(`anyone@${domain}`)).toBe('password');

    await page.getByLabel('Enabled: sign people in through this connection').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText("Saved the connection's settings.").waitFor();
    expect((await owner.client.get(`${base}/sso-connections/${connectionId}`)).body.data.enabled).toBe(true);
    expect(await identify(`anyone@${domain}`)).toBe('sso');
    await expectAccessible(page, 'the OIDC connection page');
    await screenshot(page, 'sso-connection-1280');

    // The list shows it as it is now.
    await page.getByRole('link', { name: '← All of single sign-on' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Corp OIDC' }) });
    await expect.poll(() => row.textContent()).toMatch(/OpenID Connect.*Enabled.*Optional/);
    await expect(row.textContent()).resolves.toContain(domain);
  });

  it('a person of that domain signs in to the console through the IdP; as a member, sees no SSO controls', async () => {
    const email = `ada@${domain}`;
    const person = await openConsole(browser, stack, { colorScheme: 'dark', width: 390 });
    const { page } = person;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    // Continue → discover → the IdP → the callback → the console, signed in: no password step.
    await page.getByTestId('signed-in-as').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe(email);
    expect(new URL(page.url()).origin).toBe(stack.urls.gateway);

    // The IdP made them a member of the owner's organization (what the browser's own session reads).
    const organizations = await page.evaluate(async () => (await (await fetch('/api/user/organizations')).json()).data);
    const joined = (organizations as Array<{ id: string; role: string }>).find(
      (org) => org.id === owner.organizationId,
    );
    expect(joined?.role).toBe('member');

    // A member: the screen explains, shows no control, and asks the SSO API nothing.
    const ssoCalls: string[] = [];
    page.on('request', (request) => {
      if (/\/(domains|sso-connections)/.test(request.url())) ssoCalls.push(`${request.method()} ${request.url()}`);
    });
    await page.goto(`/orgs/${owner.organizationId}/sso`);
    await page.getByText('Only owners of').waitFor();
    await expect(page.locator('main button, main input, main form').count()).resolves.toBe(0);
    await page.goto(`/orgs/${owner.organizationId}/sso/${connectionId}`);
    await page.getByText('Only owners of').waitFor();
    await expect(page.locator('main button, main input, main form').count()).resolves.toBe(0);
    expect(ssoCalls).toEqual([]);
    await expectAccessible(page, 'the SSO page of a member, dark, 390 px');
    await screenshot(page, 'sso-member-390-dark');
    await person.close();
  });

  it('shows the owner the screens in dark at 390 px', async () => {
    const narrow = await openConsole(browser, stack, { colorScheme: 'dark', width: 390 });
    const { page } = narrow;
    await signInByForm(page, owner.email, PASSWORD);
    await page.goto(`/orgs/${owner.organizationId}/sso`);
    await domainItem(page).getByText('Verified', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Corp OIDC' }).waitFor();
    await expectAccessible(page, 'the SSO page, dark, 390 px');
    await screenshot(page, 'sso-page-390-dark');
    await page.getByRole('link', { name: 'Corp OIDC' }).click();
    await page.getByRole('heading', { level: 1, name: 'Corp OIDC' }).waitFor();
    await expectAccessible(page, 'the connection page, dark, 390 px');
    await screenshot(page, 'sso-connection-390-dark');
    await narrow.close();
  });

  it('an edit made meanwhile is not overwritten: the save is refused and the page reloads it', async () => {
    const { page } = ownerSession;
    await page.goto(`/orgs/${owner.organizationId}/sso/${connectionId}`);
    await page.getByRole('heading', { level: 1, name: 'Corp OIDC' }).waitFor();
    const elsewhere = await owner.client.put(`${base}/sso-connections/${connectionId}`, {
      name: 'Corp OIDC (renamed)',
    });
    expect(elsewhere.status).toBe(200);

    await page.getByLabel('Name', { exact: true }).fill('Corp OIDC, mine');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Someone changed this connection after you opened it.').waitFor();
    expect((await owner.client.get(`${base}/sso-connections/${connectionId}`)).body.data.name).toBe(
      'Corp OIDC (renamed)',
    );
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('heading', { level: 1, name: 'Corp OIDC (renamed)' }).waitFor();
    await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('Corp OIDC (renamed)');
  });

  it('an owner requires SSO, then disables the connection: identify answers password again', async () => {
    const { page } = ownerSession;
    await page.getByLabel("Require SSO for this organization's domains").check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText("Saved the connection's settings.").waitFor();
    const required = await owner.client.get(`${base}/sso-connections/${connectionId}`);
    expect(required.body.data).toMatchObject({ enabled: true, ssoRequired: true });
    const refused = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: `ada@${domain}`,
      password: PASSWORD,
    });
    expect(refused.body.code).toBe('SSO_REQUIRED');

    await page.getByLabel('Enabled: sign people in through this connection').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('connection · disabled').waitFor();
    expect((await owner.client.get(`${base}/sso-connections/${connectionId}`)).body.data.enabled).toBe(false);
    expect(await identify(`ada@${domain}`)).toBe('password');
  });

  it('a served domain cannot be removed; deleting the connection frees it, and both go', async () => {
    const { page } = ownerSession;
    // The domain first, while the connection still serves it: the API's refusal is shown.
    await page.getByRole('link', { name: '← All of single sign-on' }).click();
    await domainItem(page)
      .getByRole('button', { name: `Remove domain ${domain}` })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove domain' }).click();
    await domainItem(page).getByText('A connection serves this domain').waitFor();

    await page.getByRole('link', { name: 'Corp OIDC (renamed)' }).click();
    await page.getByRole('button', { name: 'Delete connection Corp OIDC (renamed)' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('cannot be undone');
    await dialog.getByRole('button', { name: 'Delete connection' }).click();
    await page.getByText('Deleted the connection Corp OIDC (renamed).').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orgs/${owner.organizationId}/sso`);
    expect((await owner.client.get(`${base}/sso-connections/${connectionId}`)).status).toBe(404);
    await page.getByText('No connections yet.').waitFor();

    await domainItem(page)
      .getByRole('button', { name: `Remove domain ${domain}` })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove domain' }).click();
    await page.getByText(`Removed ${domain}.`).waitFor();
    await page.getByText('No domains yet.').waitFor();
    expect((await owner.client.get(`${base}/domains`)).body.data).toEqual([]);
  });

  it('an owner creates a SAML connection from pasted IdP metadata and gets the values for the IdP', async () => {
    const { page } = ownerSession;
    await page.getByLabel('SAML 2.0').check();
    await page.getByLabel('Name', { exact: true }).fill('Corp SAML');
    // By hand first, with something that is not a certificate: the API's complaint lands on its input.
    await page.getByLabel('Enter entity ID, sign-in URL and certificate').check();
    await page.getByLabel('IdP entity ID').fill('https://idp.example/saml');
    await page.getByLabel('IdP sign-in URL').fill('https://idp.example/sso');
    await page.getByLabel('IdP signing certificate (PEM)').fill('not a certificate');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await expect.poll(() => page.getByLabel('IdP signing certificate (PEM)').getAttribute('aria-invalid')).toBe('true');
    expect((await owner.client.get(`${base}/sso-connections`)).body.data).toEqual([]);

    const { certificatePem } = selfSignedKeyPair('Console IdP', 365);
    await page.getByLabel('Paste its metadata XML').check();
    await page.getByLabel('IdP metadata XML').fill(idpMetadata('https://idp.example/saml', certificatePem));
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('heading', { level: 1, name: 'Corp SAML' }).waitFor();

    const samlId = page.url().split('/').pop() ?? '';
    const stored = await owner.client.get(`${base}/sso-connections/${samlId}`);
    expect(stored.body.data).toMatchObject({
      type: 'saml',
      enabled: false,
      idpEntityId: 'https://idp.example/saml',
      idpSsoUrl: 'https://idp.example/sso',
    });
    const sp = stored.body.data.serviceProvider;
    await expect(page.locator('.copy-value code').allTextContents()).resolves.toEqual([
      sp.acsUrl,
      sp.entityId,
      sp.metadataUrl,
    ]);
    expect(sp.acsUrl).toBe(`${stack.urls.gateway}/api/auth/sso/saml/${samlId}/acs`);
    await page.locator('.sso-certificates').getByText('Console IdP').waitFor();
    await expectAccessible(page, 'the SAML connection page');
    await screenshot(page, 'sso-connection-saml-1280');

    // A certificate rotation from the console: the next certificate added beside the current one…
    const next = selfSignedKeyPair('Console IdP next', 365);
    const settings = page.getByRole('form', { name: 'Settings of Corp SAML' });
    await settings.getByLabel("Add the IdP's next signing certificate (PEM)").fill(next.certificatePem);
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(async () => (await owner.client.get(`${base}/sso-connections/${samlId}`)).body.data.idpCertificates.length)
      .toBe(2);
    // …then the old one removed once the IdP signs with the new: the API keeps exactly the next one.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Corp SAML' }).waitFor();
    await settings.getByRole('checkbox', { name: /Console IdP, valid/ }).uncheck();
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(async () =>
        (await owner.client.get(`${base}/sso-connections/${samlId}`)).body.data.idpCertificates.map(
          (certificate: { subject: string }) => certificate.subject,
        ),
      )
      .toEqual([expect.stringContaining('Console IdP next')]);
    await ownerSession.close();
  });
});

/** An IdP's metadata document, as Okta or Entra ID offer it for download. */
function idpMetadata(entityId: string, pem: string): string {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}
