import { randomBytes } from 'node:crypto';
import { newId } from '@gatehouse/contracts';
import { createLogger } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedKeyPair } from '../../infra/local/keys.js';
import { verificationResolver } from '../../services/identity/src/sso/dns.js';
import { DOMAIN_RECHECK_FAILURES, recheckVerifiedDomains } from '../../services/identity/src/sso/domain-recheck.js';
import { openSecret } from '../../services/identity/src/sso/secrets.js';
import { ApiClient } from '../support/client.js';
import { TestDnsServer } from '../support/dns-server.js';
import { createKey, keyClient, mailedToken, PASSWORD, verifiedUser } from '../support/flows.js';
import {
  authorizationRequest,
  clientFor,
  completeAuthorization,
  exchangeCode,
  FormBrowser,
  registerApp,
} from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Issue #15, the admin side: an owner configures the organization's SSO connections and proves its
 * domains by DNS TXT, checked against a real DNS server on loopback (dns2). Everyone else is refused.
 */
let stack: Stack;
let dns: TestDnsServer;
type User = Awaited<ReturnType<typeof verifiedUser>>;
let owner: User;
let admin: User;
let member: User;
/** Owner of another organization. */
let outsider: User;
let connections: string;
let domains: string;

const CLIENT_SECRET = `oidc-client-secret-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    { DNS_SERVERS: dns.address },
  );
  [owner, admin, member, outsider] = await Promise.all([
    verifiedUser(stack, 'Olive Owner'),
    verifiedUser(stack, 'Adam Admin'),
    verifiedUser(stack, 'Mia Member'),
    verifiedUser(stack, 'Otto Outsider'),
  ]);
  await join(owner, admin, 'admin');
  await join(owner, member, 'member');
  connections = `/api/user/organizations/${owner.organizationId}/sso-connections`;
  domains = `/api/user/organizations/${owner.organizationId}/domains`;
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await dns?.close();
});

async function join(inviter: User, invitee: User, role: 'admin' | 'member') {
  const invite = await inviter.client.post(`/api/user/organizations/${inviter.organizationId}/invites`, {
    email: invitee.email,
    role,
  });
  expect(invite.status).toBe(201);
  const token = await mailedToken(stack, invitee.email, '/accept-invite?token=');
  expect((await invitee.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);
}

const uniqueDomain = (label: string) => `${label}-${randomBytes(4).toString('hex')}.example`;

/** A self-signed certificate valid for `days` (openssl, independent of our parser). */
const certificate = (days: number, name = 'Test IdP') => selfSignedKeyPair(name, days).certificatePem;

const base64Body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

function idpMetadata(entityId: string, ssoUrl: string, pem: string): string {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${base64Body(certificate(5, 'Encryption only'))}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>
      ${base64Body(pem)}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ssoUrl}/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

/** Adds a domain and publishes its record; returns its id. */
async function verifiedDomain(user: User, domain: string): Promise<string> {
  const url = `/api/user/organizations/${user.organizationId}/domains`;
  const added = await user.client.post(url, { domain });
  expect(added.status).toBe(201);
  dns.publish(added.body.data.verification.name, added.body.data.verification.value);
  const verified = await user.client.post(`${url}/${added.body.data.id}/verify`);
  expect(verified.status).toBe(200);
  return added.body.data.id;
}

const fields = (response: { body: { meta: { errors: Array<{ field: string }> } } }) =>
  response.body.meta.errors.map((error) => error.field).sort();

describe('domains', () => {
  it('gives the TXT record to publish, and verifies only the exact value found by DNS', async () => {
    const domain = uniqueDomain('acme');
    const added = await owner.client.post(domains, { domain: ` ${domain.toUpperCase()}. ` });
    expect(added.status).toBe(201);
    const { id, verification } = added.body.data;
    expect(added.body.data).toMatchObject({ domain, verified: false, verifiedAt: null });
    expect(verification.type).toBe('TXT');
    expect(verification.name).toBe(`_gatehouse-challenge.${domain}`);
    expect(verification.value).toMatch(/^gatehouse-domain-verification=[A-Za-z0-9]{40,}$/);

    const missing = await owner.client.post(`${domains}/${id}/verify`);
    expect(missing.status).toBe(409);
    expect(missing.body.meta.reason).toBe('DOMAIN_NOT_VERIFIED');
    expect(missing.body.message).toContain(verification.name);

    dns.publish(verification.name, 'v=spf1 -all', 'gatehouse-domain-verification=not-the-token');
    const wrong = await owner.client.post(`${domains}/${id}/verify`);
    expect(wrong.status).toBe(409);
    expect(wrong.body.meta).toMatchObject({
      reason: 'DOMAIN_NOT_VERIFIED',
      found: ['gatehouse-domain-verification=not-the-token'],
    });
    const listed = await owner.client.get(domains);
    expect(listed.body.data.find((row: { id: string }) => row.id === id).verified).toBe(false);

    dns.publish(verification.name, verification.value);
    const verified = await owner.client.post(`${domains}/${id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body.data.verified).toBe(true);
    expect(Date.parse(verified.body.data.verifiedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Again: answered as it is, no new lookup needed.
    dns.txt.delete(verification.name);
    expect((await owner.client.post(`${domains}/${id}/verify`)).body.data.verified).toBe(true);
  });

  it('says when the DNS server did not answer, and keeps the domain unverified', async () => {
    const added = await owner.client.post(domains, { domain: uniqueDomain('flaky') });
    dns.failing.add(added.body.data.verification.name);
    const failed = await owner.client.post(`${domains}/${added.body.data.id}/verify`);
    expect(failed.status).toBe(409);
    expect(failed.body.meta.reason).toBe('DNS_LOOKUP_FAILED');
    expect(
      (await owner.client.get(domains)).body.data.find((d: { id: string }) => d.id === added.body.data.id),
    ).toMatchObject({ verified: false });
  });

  it('refuses a domain another organization verified, at claim and at verification', async () => {
    const domain = uniqueDomain('taken');
    // The outsider claims it first (unverified), then the owner verifies it.
    const outsiderDomains = `/api/user/organizations/${outsider.organizationId}/domains`;
    const early = await outsider.client.post(outsiderDomains, { domain });
    expect(early.status).toBe(201);
    await verifiedDomain(owner, domain);
    dns.publish(early.body.data.verification.name, early.body.data.verification.value);
    const late = await outsider.client.post(`${outsiderDomains}/${early.body.data.id}/verify`);
    expect(late.status).toBe(409);
    expect(late.body.meta.reason).toBe('DOMAIN_TAKEN');
    const claim = await outsider.client.post(outsiderDomains, { domain: `${domain}.`.toUpperCase() });
    expect(claim.status).toBe(409);
    expect(claim.body.meta.reason).toBe('DOMAIN_TAKEN');
  });

  it('lets exactly one of two organizations win a simultaneous verification', async () => {
    const domain = uniqueDomain('race');
    const outsiderDomains = `/api/user/organizations/${outsider.organizationId}/domains`;
    const mine = await owner.client.post(domains, { domain });
    const theirs = await outsider.client.post(outsiderDomains, { domain });
    for (const added of [mine, theirs])
      dns.publish(added.body.data.verification.name, added.body.data.verification.value);
    const answers = await Promise.all([
      owner.client.post(`${domains}/${mine.body.data.id}/verify`),
      outsider.client.post(`${outsiderDomains}/${theirs.body.data.id}/verify`),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(answers.find((answer) => answer.status === 409)!.body.meta.reason).toBe('DOMAIN_TAKEN');
    const [row] = await stack.identity.deps.orm.em
      .fork()
      .execute('select count(*)::int as n from organization_domains where domain = ? and verified_at is not null', [
        domain,
      ]);
    expect(row?.n).toBe(1);
  });

  it("frees a deleted organization's domains and drops its connections", async () => {
    const doomed = await owner.client.post('/api/user/organizations', { name: 'Doomed Org' });
    const doomedId = doomed.body.data.id as string;
    const domain = uniqueDomain('doomed');
    const doomedOwner = { ...owner, organizationId: doomedId };
    await verifiedDomain(doomedOwner, domain);
    const connection = await owner.client.post(`/api/user/organizations/${doomedId}/sso-connections`, {
      type: 'oidc',
      name: 'Doomed IdP',
      issuer: 'https://idp.example',
      clientId: 'c',
      clientSecret: 's',
      domains: [domain],
    });
    expect(connection.status).toBe(201);
    expect((await owner.client.delete(`/api/user/organizations/${doomedId}`)).status).toBe(200);
    await eventually(async () => {
      const [row] = await stack.identity.deps.orm.em
        .fork()
        .execute(
          'select (select count(*)::int from sso_connections where organization_id = ?) + (select count(*)::int from organization_domains where organization_id = ?) as n',
          [doomedId, doomedId],
        );
      expect(row?.n).toBe(0);
    }, 20_000);
    // The domain is free again for another organization.
    await verifiedDomain(outsider, domain);
  });

  it('names the field of a malformed domain, refuses a duplicate, deletes', async () => {
    for (const domain of ['not a domain', 'localhost', '10.0.0.1', '-bad-.example', `${'a'.repeat(64)}.example`]) {
      const refused = await owner.client.post(domains, { domain });
      expect(refused.status, domain).toBe(400);
      expect(fields(refused)).toEqual(['domain']);
    }
    const idn = await owner.client.post(domains, { domain: `bücher-${randomBytes(3).toString('hex')}.example` });
    expect(idn.body.data.domain).toMatch(/^xn--bcher-.*\.example$/);
    const domain = uniqueDomain('twice');
    const first = await owner.client.post(domains, { domain });
    const again = await owner.client.post(domains, { domain });
    expect(again.status).toBe(409);
    expect(again.body.meta.reason).toBe('DOMAIN_EXISTS');
    expect((await owner.client.delete(`${domains}/${first.body.data.id}`)).status).toBe(200);
    expect((await owner.client.delete(`${domains}/${first.body.data.id}`)).status).toBe(404);
    expect((await owner.client.post(`${domains}/${newId()}/verify`)).status).toBe(404);
  });
});

describe('verified domains are checked again', () => {
  /** One pass of identity's re-check over every verified domain, as its hourly pump runs it. */
  const recheck = () =>
    recheckVerifiedDomains(stack.identity.deps.orm.em, verificationResolver(dns.address), createLogger('t', 'silent'), {
      checkedBefore: new Date(Date.now() + 60_000),
    });
  const stateOf = async (id: string) =>
    (await owner.client.get(`${domains}?limit=100`)).body.data.find((d: { id: string }) => d.id === id);

  it('unverifies a domain whose record is gone for several checks in a row, and frees it for another organization', async () => {
    const domain = uniqueDomain('lapsed');
    const id = await verifiedDomain(owner, domain);
    const name = `_gatehouse-challenge.${domain}`;
    dns.txt.delete(name);
    for (let check = 1; check < DOMAIN_RECHECK_FAILURES; check++) {
      await recheck();
      expect((await stateOf(id)).verified, `after ${check} failed checks`).toBe(true);
    }
    await recheck();
    expect(await stateOf(id)).toMatchObject({ verified: false, verifiedAt: null });
    // In the organization's audit log, by the system (no request: no actor in the context).
    const recorded = await stack.identity.deps.orm.em
      .fork()
      .execute<Array<{ payload: { context?: unknown; data: Record<string, unknown> } }>>(
        "select payload from outbox_events where subject = 'events.identity.activity.recorded' and payload->'data'->>'action' = 'sso_domain.unverified' and payload->'data'->'target'->>'id' = ?",
        [id],
      );
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.payload.context).toBeUndefined();
    expect(recorded[0]!.payload.data).toMatchObject({ organizationId: owner.organizationId, userId: null });
    // Whoever holds the domain now can prove it.
    const outsiderDomains = `/api/user/organizations/${outsider.organizationId}/domains`;
    const claim = await outsider.client.post(outsiderDomains, { domain });
    expect(claim.status).toBe(201);
    dns.publish(claim.body.data.verification.name, claim.body.data.verification.value);
    expect((await outsider.client.post(`${outsiderDomains}/${claim.body.data.id}/verify`)).status).toBe(200);
  });

  it('keeps a domain whose record is back, or whose DNS did not answer, verified', async () => {
    const domain = uniqueDomain('steady');
    const id = await verifiedDomain(owner, domain);
    const name = `_gatehouse-challenge.${domain}`;
    const value = dns.txt.get(name);
    dns.txt.delete(name);
    for (let check = 1; check < DOMAIN_RECHECK_FAILURES; check++) await recheck();
    // Back before the last strike: the count starts again.
    dns.txt.set(name, value ?? []);
    await recheck();
    dns.txt.delete(name);
    for (let check = 1; check < DOMAIN_RECHECK_FAILURES; check++) await recheck();
    expect((await stateOf(id)).verified).toBe(true);
    // No answer at all is no evidence either way.
    dns.failing.add(name);
    for (let check = 0; check < DOMAIN_RECHECK_FAILURES + 1; check++) await recheck();
    expect((await stateOf(id)).verified).toBe(true);
    dns.failing.delete(name);
  });
});

describe('SAML connections', () => {
  it('takes the IdP fields with several certificates, flags the one expiring soon, answers our SP values', async () => {
    const domain = uniqueDomain('saml');
    await verifiedDomain(owner, domain);
    const soon = certificate(10, 'Old signing key');
    const next = certificate(400, 'New signing key');
    const created = await owner.client.post(connections, {
      type: 'saml',
      name: 'Okta',
      domains: [domain.toUpperCase()],
      idpEntityId: 'http://www.okta.com/exk123',
      idpSsoUrl: 'https://acme.okta.example/app/sso/saml',
      idpCertificates: [soon, base64Body(next)],
      defaultRole: 'member',
      roleMapping: [{ attribute: 'groups', value: 'eng-admins', role: 'admin' }],
      ssoRequired: true,
      allowIdpInitiated: true,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    const connection = created.body.data;
    const base = stack.urls.gateway.replace(/\/$/, '');
    expect(connection).toMatchObject({
      organizationId: owner.organizationId,
      type: 'saml',
      name: 'Okta',
      enabled: true,
      domains: [domain],
      defaultRole: 'member',
      roleMapping: [{ attribute: 'groups', value: 'eng-admins', role: 'admin' }],
      ssoRequired: true,
      allowIdpInitiated: true,
      idpEntityId: 'http://www.okta.com/exk123',
      idpSsoUrl: 'https://acme.okta.example/app/sso/saml',
      issuer: null,
      clientId: null,
      hasClientSecret: false,
      serviceProvider: {
        entityId: `${base}/api/auth/sso/saml/${connection.id}/metadata`,
        acsUrl: `${base}/api/auth/sso/saml/${connection.id}/acs`,
        metadataUrl: `${base}/api/auth/sso/saml/${connection.id}/metadata`,
        oidcRedirectUri: `${base}/api/auth/sso/callback`,
      },
    });
    const [old, fresh] = connection.idpCertificates;
    expect(old).toMatchObject({ subject: 'CN=Old signing key', expired: false, expiresSoon: true, pem: soon });
    expect(Date.parse(old.notAfter) - Date.now()).toBeLessThan(11 * 24 * 3600 * 1000);
    expect(fresh).toMatchObject({ subject: 'CN=New signing key', expired: false, expiresSoon: false, pem: next });
    expect(fresh.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    const read = await owner.client.get(`${connections}/${connection.id}`);
    expect(read.body.data).toEqual(connection);
    const listed = await owner.client.get(connections);
    expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(connection.id);
  });

  it('reads the IdP metadata document with an XML parser', async () => {
    const pem = certificate(365, 'Metadata key');
    const created = await owner.client.post(connections, {
      type: 'saml',
      name: 'Entra ID',
      idpMetadataXml: idpMetadata('https://sts.windows.example/tenant/', 'https://login.example/tenant/saml2', pem),
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      idpEntityId: 'https://sts.windows.example/tenant/',
      idpSsoUrl: 'https://login.example/tenant/saml2',
      domains: [],
      defaultRole: 'member',
      ssoRequired: false,
      allowIdpInitiated: false,
    });
    // The encryption-only key is not a signing key.
    expect(created.body.data.idpCertificates.map((c: { pem: string }) => c.pem)).toEqual([pem]);
  });

  it('names each wrong field', async () => {
    const missing = await owner.client.post(connections, { type: 'saml', name: 'Half' });
    expect(missing.status).toBe(400);
    expect(fields(missing)).toEqual(['idpCertificates', 'idpEntityId', 'idpSsoUrl']);

    const wrong = await owner.client.post(connections, {
      type: 'saml',
      name: 'Wrong',
      idpEntityId: 'x',
      idpSsoUrl: 'http://idp.example/sso',
      idpCertificates: [certificate(30), 'not a certificate'],
      domains: ['unclaimed.example', 'not a domain'],
      issuer: 'https://issuer.example',
    });
    expect(wrong.status).toBe(400);
    expect(fields(wrong)).toEqual(['domains/0', 'domains/1', 'idpCertificates/1', 'idpSsoUrl', 'issuer']);

    const badRole = await owner.client.post(connections, { type: 'saml', name: 'Owners', defaultRole: 'owner' });
    expect(badRole.status).toBe(400);
    expect(fields(badRole)).toEqual(['defaultRole']);

    for (const xml of [
      '<md:EntityDescriptor',
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
      '<EntityDescriptor entityID="x"/>',
    ]) {
      const refused = await owner.client.post(connections, { type: 'saml', name: 'XML', idpMetadataXml: xml });
      expect(refused.status, xml).toBe(400);
      expect(fields(refused)).toEqual(['idpMetadataXml']);
    }
  });
});

describe('OIDC connections', () => {
  let connectionId: string;

  it('seals the client secret and never answers it', async () => {
    const created = await owner.client.post(connections, {
      type: 'oidc',
      name: 'Google Workspace',
      issuer: 'https://accounts.google.example',
      clientId: 'client-123',
      clientSecret: CLIENT_SECRET,
      roleMapping: [{ attribute: 'hd', value: 'acme.example', role: 'member' }],
    });
    expect(created.status).toBe(201);
    connectionId = created.body.data.id;
    expect(created.body.data).toMatchObject({
      type: 'oidc',
      issuer: 'https://accounts.google.example',
      clientId: 'client-123',
      hasClientSecret: true,
      idpEntityId: null,
      idpSsoUrl: null,
      idpCertificates: [],
    });
    const answers = [
      created,
      await owner.client.get(`${connections}/${connectionId}`),
      await owner.client.get(connections),
      await owner.client.put(`${connections}/${connectionId}`, { name: 'Google' }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeLessThan(300);
      expect(JSON.stringify(answer.body)).not.toContain(CLIENT_SECRET);
    }
    const [row] = await stack.identity.deps.orm.em
      .fork()
      .execute('select oidc_client_secret from sso_connections where id = ?', [connectionId]);
    expect(row?.oidc_client_secret).not.toContain(CLIENT_SECRET);
    expect(openSecret(stack.identity.deps.config.SSO_SECRET_KEY, row?.oidc_client_secret)).toBe(CLIENT_SECRET);
  });

  it('names each wrong field', async () => {
    const missing = await owner.client.post(connections, { type: 'oidc', name: 'Half' });
    expect(fields(missing)).toEqual(['clientId', 'clientSecret', 'issuer']);
    const wrong = await owner.client.post(connections, {
      type: 'oidc',
      name: 'Wrong',
      issuer: 'http://issuer.example',
      clientId: 'c',
      clientSecret: 's',
      idpEntityId: 'saml-only',
    });
    expect(fields(wrong)).toEqual(['idpEntityId', 'issuer']);
    const loopback = await owner.client.post(connections, {
      type: 'oidc',
      name: 'Local IdP',
      issuer: 'http://127.0.0.1:9999',
      clientId: 'c',
      clientSecret: 's',
    });
    expect(loopback.status).toBe(201);
  });

  it('changes only the fields sent, refuses a stale If-Match, keeps the secret unless replaced', async () => {
    const url = `${connections}/${connectionId}`;
    const before = await owner.client.get(url);
    const etag = before.headers.get('etag')!;
    const changed = await owner.client.put(
      url,
      { enabled: false, ssoRequired: true, clientId: 'client-456' },
      { 'if-match': etag },
    );
    expect(changed.status).toBe(200);
    expect(changed.body.data).toMatchObject({
      enabled: false,
      ssoRequired: true,
      clientId: 'client-456',
      issuer: 'https://accounts.google.example',
      hasClientSecret: true,
      roleMapping: [{ attribute: 'hd', value: 'acme.example', role: 'member' }],
    });
    const stale = await owner.client.put(url, { name: 'Overwrite' }, { 'if-match': etag });
    expect(stale.status).toBe(412);
    const secret = async () =>
      (
        await stack.identity.deps.orm.em
          .fork()
          .execute('select oidc_client_secret from sso_connections where id = ?', [connectionId])
      )[0]?.oidc_client_secret;
    expect(openSecret(stack.identity.deps.config.SSO_SECRET_KEY, await secret())).toBe(CLIENT_SECRET);
    await owner.client.put(url, { clientSecret: 'rotated-secret' });
    expect(openSecret(stack.identity.deps.config.SSO_SECRET_KEY, await secret())).toBe('rotated-secret');
    const typeChange = await owner.client.put(url, { type: 'saml' });
    expect(typeChange.status).toBe(400);
    const samlField = await owner.client.put(url, { idpSsoUrl: 'https://idp.example' });
    expect(fields(samlField)).toEqual(['idpSsoUrl']);
  });

  it('deletes; a domain is removable only once no connection serves it', async () => {
    const domain = uniqueDomain('served');
    const domainId = await verifiedDomain(owner, domain);
    const created = await owner.client.post(connections, {
      type: 'oidc',
      name: 'Served',
      issuer: 'https://idp.example',
      clientId: 'c',
      clientSecret: 's',
      domains: [domain],
    });
    const inUse = await owner.client.delete(`${domains}/${domainId}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.meta.reason).toBe('DOMAIN_IN_USE');
    expect((await owner.client.delete(`${connections}/${created.body.data.id}`)).status).toBe(200);
    expect((await owner.client.get(`${connections}/${created.body.data.id}`)).status).toBe(404);
    expect((await owner.client.delete(`${domains}/${domainId}`)).status).toBe(200);
  });
});

describe('who may configure SSO', () => {
  const samlBody = () => ({
    type: 'saml',
    name: 'Attempt',
    idpEntityId: 'e',
    idpSsoUrl: 'https://idp.example/sso',
    idpCertificates: [certificate(30)],
  });

  it('refuses admins and members with 403, and another organization with 404', async () => {
    for (const user of [admin, member]) {
      for (const answer of [
        await user.client.get(connections),
        await user.client.post(connections, samlBody()),
        await user.client.get(domains),
        await user.client.post(domains, { domain: uniqueDomain('nope') }),
      ]) {
        expect(answer.status).toBe(403);
        expect(answer.body.code).toBe('INSUFFICIENT_PERMISSIONS');
      }
    }
    const mine = await owner.client.post(connections, samlBody());
    expect((await outsider.client.get(connections)).status).toBe(404);
    expect((await outsider.client.get(`${connections}/${mine.body.data.id}`)).status).toBe(404);
    // The outsider's own organization does not see the owner's connection either.
    const theirs = `/api/user/organizations/${outsider.organizationId}/sso-connections`;
    expect((await outsider.client.get(`${theirs}/${mine.body.data.id}`)).status).toBe(404);
    expect((await outsider.client.delete(`${theirs}/${mine.body.data.id}`)).status).toBe(404);
    expect((await owner.client.get(`${connections}/${mine.body.data.id}`)).status).toBe(200);
  });

  it('lets a key act by its scopes and pin, and refuses a key pinned elsewhere', async () => {
    const second = await owner.client.post('/api/user/organizations', { name: 'Second Org' });
    const elsewhere = await eventually(() =>
      createKey(owner.client, {
        name: 'pinned elsewhere',
        scopes: ['organizations:read', 'organizations:write'],
        metadata: { organizationId: second.body.data.id },
      }),
    );
    const refused = await keyClient(stack, elsewhere.key).get(connections);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');

    const reader = await createKey(owner.client, {
      name: 'reader',
      scopes: ['organizations:read'],
      metadata: { organizationId: owner.organizationId },
    });
    expect((await keyClient(stack, reader.key).get(connections)).status).toBe(200);
    const write = await keyClient(stack, reader.key).post(connections, samlBody());
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('API_KEY_MISSING_SCOPES');
    const writer = await createKey(owner.client, { name: 'writer', scopes: ['organizations:write'] });
    expect((await keyClient(stack, writer.key).post(connections, samlBody())).status).toBe(201);
  });

  it('refuses an OAuth access token, whatever its scopes', async () => {
    const app = await registerApp(owner.client, { scopes: ['organizations:read', 'organizations:write'] });
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'organizations:read organizations:write', {
      prompt: 'consent',
    });
    const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, {
      email: owner.email,
      password: PASSWORD,
    });
    const tokens = await exchangeCode(config, attempt, callback);
    const bearer = new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${tokens.access_token}` });
    // The token works elsewhere in the organization...
    expect((await bearer.get(`/api/user/organizations/${owner.organizationId}`)).status).toBe(200);
    // ...but not here.
    for (const answer of [
      await bearer.get(connections),
      await bearer.post(domains, { domain: uniqueDomain('oauth') }),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('FORBIDDEN');
    }
  });
});
