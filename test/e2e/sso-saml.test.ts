import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from '../support/client.js';
import { createKey, keyClient, signedInUser, verifiedUser } from '../support/flows.js';
import {
  type AnswerOptions,
  childElements,
  decodeResponse,
  encodeResponse,
  firstElement,
  idpUser,
  type KeyPair,
  keyPair,
  type PostedForm,
  parseXml,
  postedForm,
  SamlTestIdp,
  serializeXml,
} from '../support/saml-idp.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * SAML 2.0 sign-in through the gateway against a real IdP on loopback (saml-idp's engine). Every
 * hostile response below is refused, and each is one a naive service provider would accept:
 * each starts from a response the IdP validly signed and changes exactly the thing one check exists for.
 */

let stack: Stack;
let idp: SamlTestIdp;
let counter = 0;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  idp = new SamlTestIdp(() => stack.identity.deps.config.SAML_SP_CERTIFICATE);
  await idp.start();
});
afterAll(async () => {
  await idp?.close();
  await stack?.close();
});

interface Connection {
  id: string;
  organizationId: string;
  domain: string;
  entityId: string;
  acsUrl: string;
}

function certificateEntry(pem: string) {
  return { pem, notAfter: new Date(new X509Certificate(pem).validTo).toISOString() };
}

/** An organization with a verified domain and a SAML connection to the test IdP (as its admin would set it up). */
async function samlConnection(
  options: { allowIdpInitiated?: boolean; certificates?: string[]; roleMapping?: unknown[] } = {},
): Promise<Connection> {
  counter += 1;
  const owner = await signedInUser(stack, 'Olga Owner');
  const domain = `saml-${Date.now().toString(36)}-${counter}.example.test`;
  const id = newId();
  const em = stack.identity.deps.orm.em.fork();
  await em.execute(
    `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
     values (?, ?, ?, ?, now(), now())`,
    [newId(), owner.organizationId, domain, `token-${id}`],
  );
  const certificates = (options.certificates ?? [idp.keys.cert]).map(certificateEntry);
  await em.execute(
    `insert into sso_connections (id, organization_id, type, name, enabled, domains, default_role, role_mapping,
       sso_required, allow_idp_initiated, saml_idp_entity_id, saml_idp_sso_url, saml_idp_certificates,
       created_at, updated_at, version)
     values (?, ?, 'saml', 'Corp SAML', true, ?, 'member', ?::jsonb, false, ?, ?, ?, ?::jsonb, now(), now(), 1)`,
    [
      id,
      owner.organizationId,
      `{${domain}}`,
      JSON.stringify(options.roleMapping ?? []),
      options.allowIdpInitiated ?? false,
      idp.entityId,
      idp.ssoUrl,
      JSON.stringify(certificates),
    ],
  );
  const base = `${stack.urls.gateway}/api/auth/sso/saml/${id}`;
  return { id, organizationId: owner.organizationId, domain, entityId: `${base}/metadata`, acsUrl: `${base}/acs` };
}

function emailAt(connection: Connection, label = 'sam'): string {
  counter += 1;
  return `${label}-${counter}@${connection.domain}`;
}

/** A browser starts the sign-in at the gateway: the state cookie lands in its jar, the IdP URL comes back. */
async function startSignIn(browser: ApiClient, email: string, returnTo = '/dashboard'): Promise<string> {
  const started = await browser.get(
    `/api/auth/sso/discover?email=${encodeURIComponent(email)}&returnTo=${encodeURIComponent(returnTo)}`,
  );
  expect(started.status).toBe(302);
  const location = started.headers.get('location') ?? '';
  expect(location.startsWith(idp.ssoUrl)).toBe(true);
  return location;
}

/** The browser follows the redirect to the IdP, which answers its auto-posting form. */
async function visitIdp(location: string, next: Omit<AnswerOptions, 'inResponseTo'>): Promise<PostedForm> {
  idp.next = next;
  const page = await fetch(location);
  expect(page.status).toBe(200);
  return postedForm(await page.text());
}

async function postToAcs(browser: ApiClient, connection: Connection, samlResponse: string): Promise<ApiResponse> {
  return browser.request('POST', new URL(connection.acsUrl).pathname, {
    rawBody: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: idp.url },
  });
}

/** A browser that started a sign-in and holds the IdP's validly signed answer, not yet posted. */
async function signedAnswer(next: Omit<AnswerOptions, 'inResponseTo'>, typedEmail = next.user.email) {
  const browser = new ApiClient(stack.urls.gateway);
  const location = await startSignIn(browser, typedEmail);
  const form = await visitIdp(location, next);
  return { browser, form, xml: decodeResponse(form.SAMLResponse), requestId: idp.requests.at(-1)!.id };
}

function expectRefused(response: ApiResponse, reason: string) {
  expect(response.status).toBe(403);
  expect(response.body.code).toBe('FORBIDDEN');
  expect(response.body.meta?.reason).toBe(reason);
  expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='))).toBe(false);
}

async function sessionEmail(browser: ApiClient): Promise<string | null> {
  const me = await browser.get('/api/user/me');
  return me.status === 200 ? me.body.data.email : null;
}

function editXml(xml: string, edit: (doc: ReturnType<typeof parseXml>) => void): string {
  const doc = parseXml(xml);
  edit(doc);
  return serializeXml(doc);
}

describe('SAML service provider metadata', () => {
  it('names our entity id, the ACS and our signing certificate, and is signed with our SP key', async () => {
    const connection = await samlConnection();
    const response = await fetch(connection.entityId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = await response.text();
    const doc = parseXml(xml);
    expect(doc.documentElement.getAttribute('entityID')).toBe(connection.entityId);
    const acs = firstElement(doc, 'AssertionConsumerService');
    expect(acs.getAttribute('Location')).toBe(connection.acsUrl);
    expect(acs.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(firstElement(doc, 'SPSSODescriptor').getAttribute('WantAssertionsSigned')).toBe('true');
    expect(idp.verifySignature(xml, stack.identity.deps.config.SAML_SP_CERTIFICATE)).toBe(true);
    expect(idp.verifySignature(xml, keyPair('Someone else').cert)).toBe(false);
  });

  it('is 404 for a connection that does not exist', async () => {
    const response = await new ApiClient(stack.urls.gateway).get(`/api/auth/sso/saml/${newId()}/metadata`);
    expect(response.status).toBe(404);
  });
});

describe('SP-initiated SAML sign-in', () => {
  it('a signed AuthnRequest, the IdP’s signed assertion, then a 303 to returnTo with a session', async () => {
    const connection = await samlConnection();
    const email = emailAt(connection);
    const { browser, form, requestId } = await signedAnswer({ user: idpUser(email) });
    const request = idp.requests.at(-1)!;
    // The IdP checked our AuthnRequest: signed (RSA-SHA256, HTTP-Redirect) by the key in our metadata.
    expect(request.signatureValid).toBe(true);
    expect(request.issuer).toBe(connection.entityId);
    expect(request.acsUrl).toBe(connection.acsUrl);
    expect(form.action).toBe(connection.acsUrl);
    const stored = await stack.identity.deps.orm.em
      .fork()
      .execute('select count(*)::int as n from sso_login_requests where saml_request_id = ?', [requestId]);
    expect(stored[0]?.n).toBe(1);

    const answered = await postToAcs(browser, connection, form.SAMLResponse);
    expect(answered.status).toBe(303);
    expect(answered.headers.get('location')).toBe('/dashboard');
    expect(await sessionEmail(browser)).toBe(email);
    const organizations = await browser.get('/api/user/organizations');
    expect(organizations.body.data.map((organization: { id: string }) => organization.id)).toContain(
      connection.organizationId,
    );
  });

  it('maps the assertion’s groups attribute to the organization role (first matching rule)', async () => {
    const connection = await samlConnection({
      roleMapping: [
        { attribute: 'groups', value: 'eng-admins', role: 'admin' },
        { attribute: 'groups', value: 'eng', role: 'member' },
      ],
    });
    const roleOf = async (groups: string[]) => {
      const { browser, form } = await signedAnswer({ user: idpUser(emailAt(connection), groups) });
      expect((await postToAcs(browser, connection, form.SAMLResponse)).status).toBe(303);
      const organizations = await browser.get('/api/user/organizations');
      return organizations.body.data.find(
        (organization: { id: string }) => organization.id === connection.organizationId,
      )?.role;
    };
    expect(await roleOf(['eng', 'eng-admins'])).toBe('admin');
    expect(await roleOf(['eng'])).toBe('member');
    expect(await roleOf(['sales'])).toBe('member');
    // A value is matched whole: a group whose name holds a comma (or an AD group DN) is no eng-admins.
    expect(await roleOf(['party,eng-admins'])).toBe('member');
    expect(await roleOf(['CN=eng-admins,OU=Groups,DC=corp'])).toBe('member');
  });

  it('accepts an assertion signed by any of the connection’s certificates (rotation)', async () => {
    const rotated = keyPair('Next IdP key');
    const connection = await samlConnection({ certificates: [idp.keys.cert, rotated.cert] });
    const email = emailAt(connection);
    const { browser, form } = await signedAnswer({ user: idpUser(email), signingKey: rotated });
    expect((await postToAcs(browser, connection, form.SAMLResponse)).status).toBe(303);
    expect(await sessionEmail(browser)).toBe(email);
  });
});

describe('hostile SAML responses', () => {
  it('refuses a second, unsigned assertion beside the signed one (signature wrapping)', async () => {
    const connection = await samlConnection();
    const victim = emailAt(connection, 'victim');
    const { browser, xml } = await signedAnswer({ user: idpUser(emailAt(connection, 'mallory')) });
    const forged = editXml(xml, (doc) => {
      const signed = firstElement(doc, 'Assertion');
      const evil = signed.cloneNode(true);
      for (const signature of childElements(evil, 'Signature')) evil.removeChild(signature);
      evil.setAttribute('ID', '_evil');
      firstElement(evil, 'NameID').textContent = victim;
      signed.parentNode.insertBefore(evil, signed);
    });
    expectRefused(await postToAcs(browser, connection, encodeResponse(forged)), 'SAML_SIGNATURE_INVALID');
    expect(await sessionEmail(browser)).toBeNull();
  });

  it('refuses the signed assertion hidden inside an unsigned one (wrapping, nested)', async () => {
    const connection = await samlConnection();
    const { browser, xml } = await signedAnswer({ user: idpUser(emailAt(connection, 'mallory')) });
    const forged = editXml(xml, (doc) => {
      const signed = firstElement(doc, 'Assertion');
      const evil = signed.cloneNode(true);
      for (const signature of childElements(evil, 'Signature')) evil.removeChild(signature);
      evil.setAttribute('ID', '_evil');
      firstElement(evil, 'NameID').textContent = emailAt(connection, 'victim');
      signed.parentNode.replaceChild(evil, signed);
      firstElement(evil, 'Subject').appendChild(signed);
    });
    expectRefused(await postToAcs(browser, connection, encodeResponse(forged)), 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a NameID split by a comment or a processing instruction (signed text unchanged)', async () => {
    const connection = await samlConnection();
    for (const splitter of ['<!---->', '<?x?>']) {
      // The IdP vouches for victim@<domain>.attacker.test; with the tail cut off, it would read victim@<domain>.
      const claimed = `victim-${splitter.length}@${connection.domain}`;
      const { browser, xml } = await signedAnswer({ user: idpUser(`${claimed}.attacker.test`) }, claimed);
      const forged = xml.replaceAll(`${claimed}.attacker.test`, `${claimed}${splitter}.attacker.test`);
      expect(forged).not.toBe(xml);
      expectRefused(await postToAcs(browser, connection, encodeResponse(forged)), 'SAML_RESPONSE_INVALID');
      expect(await sessionEmail(browser)).toBeNull();
    }
  });

  it('refuses a signed assertion from another sign-in moved into a response for this one', async () => {
    const connection = await samlConnection();
    const email = emailAt(connection);
    const earlier = await signedAnswer({ user: idpUser(email) });
    const current = await signedAnswer({ user: idpUser(emailAt(connection, 'other')) });
    // This browser's response, its own assertion swapped for the earlier (validly signed) one.
    const forged = editXml(current.xml, (doc) => {
      const stolen = parseXml(earlier.xml);
      const ours = firstElement(doc, 'Assertion');
      ours.parentNode.replaceChild(doc.importNode(firstElement(stolen, 'Assertion'), true), ours);
    });
    expectRefused(await postToAcs(current.browser, connection, encodeResponse(forged)), 'SAML_WRONG_REQUEST');
  });

  it('refuses a response to another browser’s request', async () => {
    const connection = await samlConnection();
    const theirs = await signedAnswer({ user: idpUser(emailAt(connection, 'victim')) });
    const attacker = new ApiClient(stack.urls.gateway);
    await startSignIn(attacker, emailAt(connection, 'mallory'));
    expectRefused(await postToAcs(attacker, connection, theirs.form.SAMLResponse), 'SAML_WRONG_REQUEST');
    // Nor without any state cookie at all.
    const cookieless = new ApiClient(stack.urls.gateway);
    expectRefused(await postToAcs(cookieless, connection, theirs.form.SAMLResponse), 'SSO_STATE_MISSING');
  });

  it('refuses SHA-1 signatures and digests', async () => {
    const connection = await samlConnection();
    const { browser, form } = await signedAnswer({
      user: idpUser(emailAt(connection)),
      signatureAlgorithm: 'rsa-sha1',
      digestAlgorithm: 'sha1',
    });
    expect(decodeResponse(form.SAMLResponse)).toContain('xmldsig#rsa-sha1');
    expectRefused(await postToAcs(browser, connection, form.SAMLResponse), 'SAML_WEAK_SIGNATURE');
  });

  it('refuses an assertion for another audience', async () => {
    const connection = await samlConnection();
    const { browser, form } = await signedAnswer({
      user: idpUser(emailAt(connection)),
      audience: 'https://other-sp.example.test/metadata',
    });
    expectRefused(await postToAcs(browser, connection, form.SAMLResponse), 'SAML_WRONG_AUDIENCE');
  });

  it('refuses an assertion whose Recipient is another ACS', async () => {
    const connection = await samlConnection();
    const { browser, form } = await signedAnswer({
      user: idpUser(emailAt(connection)),
      recipient: 'https://other-sp.example.test/acs',
    });
    expectRefused(await postToAcs(browser, connection, form.SAMLResponse), 'SAML_WRONG_RECIPIENT');
  });

  it('refuses a response whose Destination is another SP', async () => {
    const connection = await samlConnection();
    const { browser, xml } = await signedAnswer({ user: idpUser(emailAt(connection)) });
    const forged = editXml(xml, (doc) =>
      doc.documentElement.setAttribute('Destination', 'https://other-sp.example.test/acs'),
    );
    expectRefused(await postToAcs(browser, connection, encodeResponse(forged)), 'SAML_WRONG_DESTINATION');
  });

  it('refuses an expired assertion and one not valid yet', async () => {
    const connection = await samlConnection();
    const expired = await signedAnswer({ user: idpUser(emailAt(connection)), lifetimeInSeconds: -120 });
    expectRefused(await postToAcs(expired.browser, connection, expired.form.SAMLResponse), 'SAML_ASSERTION_EXPIRED');

    const early = await signedAnswer({ user: idpUser(emailAt(connection)) });
    const inFiveMinutes = new Date(Date.now() + 5 * 60_000).toISOString();
    const future = idp.resignAssertion(
      editXml(early.xml, (doc) => {
        firstElement(doc, 'Conditions').setAttribute('NotBefore', inFiveMinutes);
        firstElement(doc, 'SubjectConfirmationData').setAttribute('NotBefore', inFiveMinutes);
      }),
    );
    expectRefused(await postToAcs(early.browser, connection, encodeResponse(future)), 'SAML_ASSERTION_NOT_YET_VALID');
  });

  it('accepts an assertion re-signed by the IdP’s key (the edits above are refused for what they change)', async () => {
    const connection = await samlConnection();
    const email = emailAt(connection);
    const { browser, xml } = await signedAnswer({ user: idpUser(email) });
    expect((await postToAcs(browser, connection, encodeResponse(idp.resignAssertion(xml)))).status).toBe(303);
    expect(await sessionEmail(browser)).toBe(email);
  });

  it('refuses an unsigned assertion inside a signed response (the assertion itself must be signed)', async () => {
    const connection = await samlConnection();
    const { browser, form } = await signedAnswer({ user: idpUser(emailAt(connection)), signed: 'response' });
    const xml = decodeResponse(form.SAMLResponse);
    expect(childElements(parseXml(xml).documentElement, 'Signature')).toHaveLength(1);
    expect(childElements(firstElement(parseXml(xml), 'Assertion'), 'Signature')).toHaveLength(0);
    expectRefused(await postToAcs(browser, connection, form.SAMLResponse), 'SAML_SIGNATURE_INVALID');
  });

  it('refuses an assertion signed by a certificate the connection does not trust', async () => {
    const connection = await samlConnection();
    const { browser, form } = await signedAnswer({
      user: idpUser(emailAt(connection)),
      signingKey: keyPair('Impostor IdP'),
    });
    expectRefused(await postToAcs(browser, connection, form.SAMLResponse), 'SAML_SIGNATURE_INVALID');
  });

  it('refuses any response once the connection is disabled', async () => {
    const connection = await samlConnection();
    const { browser, form } = await signedAnswer({ user: idpUser(emailAt(connection)) });
    await stack.identity.deps.orm.em
      .fork()
      .execute('update sso_connections set enabled = false where id = ?', [connection.id]);
    expectRefused(await postToAcs(browser, connection, form.SAMLResponse), 'SSO_CONNECTION_DISABLED');
  });
});

describe('IdP-initiated SAML sign-in', () => {
  async function unsolicited(connection: Connection, email: string): Promise<string> {
    const form = await idp.answer({ user: idpUser(email) }, connection.acsUrl, connection.entityId);
    expect(decodeResponse(form.SAMLResponse)).not.toContain('InResponseTo');
    return form.SAMLResponse;
  }

  it('is refused where the connection does not allow it', async () => {
    const connection = await samlConnection();
    const browser = new ApiClient(stack.urls.gateway);
    const response = await postToAcs(browser, connection, await unsolicited(connection, emailAt(connection)));
    expectRefused(response, 'SAML_IDP_INITIATED_NOT_ALLOWED');
  });

  it('signs in where allowed, landing on /, and the same assertion is accepted once', async () => {
    const connection = await samlConnection({ allowIdpInitiated: true });
    const email = emailAt(connection);
    const samlResponse = await unsolicited(connection, email);
    const browser = new ApiClient(stack.urls.gateway);
    const answered = await postToAcs(browser, connection, samlResponse);
    expect(answered.status).toBe(303);
    expect(answered.headers.get('location')).toBe('/');
    expect(await sessionEmail(browser)).toBe(email);

    const replayer = new ApiClient(stack.urls.gateway);
    expectRefused(await postToAcs(replayer, connection, samlResponse), 'SAML_ASSERTION_REPLAYED');
    expect(await sessionEmail(replayer)).toBeNull();
  });

  it('keeps an accepted assertion id only while the assertion could be accepted', async () => {
    const connection = await samlConnection({ allowIdpInitiated: true });
    const em = stack.identity.deps.orm.em.fork();
    await em.execute(
      `insert into saml_assertion_replays (connection_id, assertion_id, expires_at) values (?, '_old', now() - interval '1 second')`,
      [connection.id],
    );
    const browser = new ApiClient(stack.urls.gateway);
    expect((await postToAcs(browser, connection, await unsolicited(connection, emailAt(connection)))).status).toBe(303);
    const rows = await em.execute<Array<{ assertion_id: string; expires_at: Date }>>(
      'select assertion_id, expires_at from saml_assertion_replays where connection_id = ?',
      [connection.id],
    );
    expect(rows.map((row) => row.assertion_id)).not.toContain('_old');
    expect(rows).toHaveLength(1);
    // The IdP said an hour; we take an assertion for 10 minutes after issue at most, plus the clock skew.
    const keptFor = new Date(rows[0]!.expires_at).getTime() - Date.now();
    expect(keptFor).toBeGreaterThan(9 * 60_000);
    expect(keptFor).toBeLessThanOrEqual(11 * 60_000);
  });
});

const STATE_COOKIE = '__Host-gatehouse_sso';

function stateCookieOf(response: ApiResponse): string | undefined {
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${STATE_COOKIE}=`));
}

/** A key pair whose self-signed certificate expired in 2020 (`openssl ca` sets past dates; `req -x509` cannot). */
function expiredKeyPair(commonName: string): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'saml-expired-'));
  const at = (name: string) => join(dir, name);
  try {
    execFileSync(
      '/usr/bin/openssl',
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${commonName}`,
        '-keyout',
        at('key.pem'),
        '-out',
        at('req.csr'),
      ],
      { stdio: 'ignore' },
    );
    writeFileSync(at('index.txt'), '');
    writeFileSync(at('serial'), '01\n');
    writeFileSync(
      at('ca.cnf'),
      `[ca]\ndefault_ca = past\n[past]\ndatabase = ${at('index.txt')}\nnew_certs_dir = ${dir}\nserial = ${at('serial')}\n` +
        'default_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n',
    );
    execFileSync(
      '/usr/bin/openssl',
      [
        'ca',
        '-batch',
        '-config',
        at('ca.cnf'),
        '-selfsign',
        '-keyfile',
        at('key.pem'),
        '-in',
        at('req.csr'),
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20200201000000Z',
        '-notext',
        '-out',
        at('cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(at('key.pem'), 'utf8'), cert: readFileSync(at('cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the SSO state cookie', () => {
  it('is __Host-gatehouse_sso: Secure, HttpOnly, SameSite=None, Path=/ and no Domain (no sibling can plant one)', async () => {
    const connection = await samlConnection();
    const browser = new ApiClient(stack.urls.gateway);
    const started = await browser.get(`/api/auth/sso/discover?email=${encodeURIComponent(emailAt(connection))}`);
    expect(started.status).toBe(302);
    const cookie = stateCookieOf(started) ?? '';
    const attributes = cookie
      .split(';')
      .slice(1)
      .map((part) => part.trim().toLowerCase());
    expect(attributes).toContain('path=/');
    expect(attributes).toContain('secure');
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=none');
    expect(attributes.some((attribute) => attribute.startsWith('domain='))).toBe(false);
    expect(started.headers.getSetCookie().some((set) => set.startsWith('gatehouse_sso='))).toBe(false);
  });
});

describe('a started SAML sign-in survives forged posts', () => {
  it('junk posted with the browser’s cookie is refused without spending the sign-in; the real response then signs in', async () => {
    const connection = await samlConnection();
    const email = emailAt(connection);
    const { browser, form, xml } = await signedAnswer({ user: idpUser(email) });
    const junk = encodeResponse(
      '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_junk" Version="2.0" InResponseTo="_junk"/>',
    );
    const tampered = encodeResponse(xml.replaceAll(email, emailAt(connection, 'mallory')));
    for (const forged of [junk, tampered]) {
      const refused = await postToAcs(browser, connection, forged);
      expect(refused.status).toBe(403);
      // The state cookie stays: clearing it would cancel the sign-in just as well.
      expect(stateCookieOf(refused)).toBeUndefined();
    }
    const answered = await postToAcs(browser, connection, form.SAMLResponse);
    expect(answered.status, JSON.stringify(answered.body)).toBe(303);
    expect(await sessionEmail(browser)).toBe(email);
    // Spent now: the state cookie goes, and the same state is good for nothing more.
    expect(stateCookieOf(answered)).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });
});

describe('SAML confirmation windows and replay records', () => {
  it('refuses our expired confirmation even beside a live one for another recipient', async () => {
    const connection = await samlConnection();
    const { browser, xml } = await signedAnswer({ user: idpUser(emailAt(connection)) });
    const forged = idp.resignAssertion(
      editXml(xml, (doc) => {
        const ours = firstElement(doc, 'SubjectConfirmationData');
        const decoy = ours.parentNode.cloneNode(true);
        firstElement(decoy, 'SubjectConfirmationData').setAttribute('Recipient', 'https://other-sp.example.test/acs');
        ours.parentNode.parentNode.insertBefore(decoy, ours.parentNode);
        ours.setAttribute('NotOnOrAfter', new Date(Date.now() - 5 * 60_000).toISOString());
      }),
    );
    expectRefused(await postToAcs(browser, connection, encodeResponse(forged)), 'SAML_ASSERTION_EXPIRED');
  });

  it('keeps the replay record at least as long as an assertion may live, whatever the confirmation says', async () => {
    const connection = await samlConnection();
    const { browser, xml } = await signedAnswer({ user: idpUser(emailAt(connection)) });
    const shortLived = idp.resignAssertion(
      editXml(xml, (doc) =>
        firstElement(doc, 'SubjectConfirmationData').setAttribute(
          'NotOnOrAfter',
          new Date(Date.now() + 2 * 60_000).toISOString(),
        ),
      ),
    );
    expect((await postToAcs(browser, connection, encodeResponse(shortLived))).status).toBe(303);
    const rows = await stack.identity.deps.orm.em
      .fork()
      .execute<Array<{ expires_at: Date }>>('select expires_at from saml_assertion_replays where connection_id = ?', [
        connection.id,
      ]);
    expect(rows).toHaveLength(1);
    const keptFor = new Date(rows[0]!.expires_at).getTime() - Date.now();
    expect(keptFor).toBeGreaterThan(10 * 60_000);
    expect(keptFor).toBeLessThanOrEqual(11 * 60_000);
  });
});

describe('IdP certificates past their validity', () => {
  it('are not used to verify: an assertion signed by an expired key is refused', async () => {
    const expired = expiredKeyPair('Retired IdP key');
    const onlyExpired = await samlConnection({ certificates: [expired.cert] });
    const first = await signedAnswer({ user: idpUser(emailAt(onlyExpired)), signingKey: expired });
    expectRefused(await postToAcs(first.browser, onlyExpired, first.form.SAMLResponse), 'SAML_CERTIFICATE_EXPIRED');

    const rotated = await samlConnection({ certificates: [expired.cert, idp.keys.cert] });
    const second = await signedAnswer({ user: idpUser(emailAt(rotated)), signingKey: expired });
    expectRefused(await postToAcs(second.browser, rotated, second.form.SAMLResponse), 'SAML_SIGNATURE_INVALID');
    // The current certificate beside it still works.
    const email = emailAt(rotated);
    const third = await signedAnswer({ user: idpUser(email) });
    expect((await postToAcs(third.browser, rotated, third.form.SAMLResponse)).status).toBe(303);
    expect(await sessionEmail(third.browser)).toBe(email);
  });
});

describe('emails from the IdP', () => {
  it('are normalised before lookup: Bob@DOMAIN. is the existing bob@domain, linked, not a second account', async () => {
    const connection = await samlConnection();
    const email = emailAt(connection, 'bob');
    const existing = await verifiedUser(stack, 'Bob Existing', email);
    const [local, domain] = email.split('@') as [string, string];
    const spelled = `${local[0]!.toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}.`;
    const { browser, form } = await signedAnswer({ user: idpUser(spelled) }, email);
    expect((await postToAcs(browser, connection, form.SAMLResponse)).status).toBe(303);
    const me = await browser.get('/api/user/me');
    expect(me.body.data.id).toBe(existing.userId);
    expect(me.body.data.email).toBe(email);
  });
});

describe('linking an existing verified account', () => {
  it('ends every credential it had, API keys included; the new SSO session works', async () => {
    const connection = await samlConnection();
    const email = emailAt(connection, 'keyholder');
    const existing = await verifiedUser(stack, 'Kim Keyholder', email);
    const key = await createKey(existing.client, { name: 'before SSO', scopes: ['user:read'] });
    expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(200);

    const { browser, form } = await signedAnswer({ user: idpUser(email) });
    expect((await postToAcs(browser, connection, form.SAMLResponse)).status).toBe(303);
    expect(await sessionEmail(browser)).toBe(email);
    await eventually(async () => {
      expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(401);
      expect((await existing.client.get('/api/user/me')).status).toBe(401);
    });
    expect(await sessionEmail(browser)).toBe(email);
  });
});
