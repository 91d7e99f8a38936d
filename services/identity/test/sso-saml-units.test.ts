import type { Profile } from '@node-saml/node-saml';
import { describe, expect, it } from 'vitest';
import { idpProfileOf } from '../src/sso/saml/profile.js';
import { checkResponseShape } from '../src/sso/saml/response-checks.js';
import { checkSignedAssertion } from '../src/sso/saml/signed-assertion.js';
import { CLOCK_SKEW_MS, MAX_ASSERTION_AGE_MS } from '../src/sso/saml/verify.js';

const ACS = 'https://gatehouse.example.test/api/auth/sso/saml/01J0000000000000000000000A/acs';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

function response(options: { destination?: string; inner?: string; signatureMethod?: string; digest?: string } = {}) {
  const destination = options.destination === undefined ? ` Destination="${ACS}"` : options.destination;
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" InResponseTo="_req"${destination}>` +
    '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a">' +
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    `<ds:SignatureMethod Algorithm="${options.signatureMethod ?? RSA_SHA256}"/>` +
    `<ds:Reference URI="#_a"><ds:DigestMethod Algorithm="${options.digest ?? SHA256}"/></ds:Reference>` +
    '</ds:SignedInfo></ds:Signature>' +
    `<saml:Subject><saml:NameID>${options.inner ?? 'sam@corp.example'}</saml:NameID></saml:Subject>` +
    '</saml:Assertion></samlp:Response>'
  );
}

async function refusalReason(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return (error as { meta?: { reason?: string } }).meta?.reason;
  }
  return 'accepted';
}

describe('checkResponseShape', () => {
  it('answers the InResponseTo of a well-formed response for our ACS', async () => {
    expect(await checkResponseShape(response(), ACS)).toEqual({ inResponseTo: '_req' });
    expect(await checkResponseShape(response({ destination: '' }), ACS)).toEqual({ inResponseTo: '_req' });
  });

  it('refuses comments, processing instructions and DTDs anywhere', async () => {
    for (const inner of ['sam@corp.example<!---->.evil.test', 'sam@corp.example<?x?>.evil.test']) {
      expect(await refusalReason(checkResponseShape(response({ inner }), ACS))).toBe('SAML_RESPONSE_INVALID');
    }
    const withDoctype = `<!DOCTYPE r [<!ENTITY e "x">]>${response()}`;
    expect(await refusalReason(checkResponseShape(withDoctype, ACS))).toBe('SAML_RESPONSE_INVALID');
  });

  it('refuses SHA-1 signatures and digests', async () => {
    const sha1Signature = response({ signatureMethod: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' });
    const sha1Digest = response({ digest: 'http://www.w3.org/2000/09/xmldsig#sha1' });
    expect(await refusalReason(checkResponseShape(sha1Signature, ACS))).toBe('SAML_WEAK_SIGNATURE');
    expect(await refusalReason(checkResponseShape(sha1Digest, ACS))).toBe('SAML_WEAK_SIGNATURE');
  });

  it('refuses another Destination, a message that is not a Response, and what is not XML', async () => {
    const elsewhere = response({ destination: ' Destination="https://other.example.test/acs"' });
    expect(await refusalReason(checkResponseShape(elsewhere, ACS))).toBe('SAML_WRONG_DESTINATION');
    const request = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x"/>';
    expect(await refusalReason(checkResponseShape(request, ACS))).toBe('SAML_RESPONSE_INVALID');
    expect(await refusalReason(checkResponseShape('<unclosed', ACS))).toBe('SAML_RESPONSE_INVALID');
  });
});

describe('checkSignedAssertion', () => {
  const issued = new Date(Date.now() - 1000).toISOString();
  const inAMinute = new Date(Date.now() + 60_000).toISOString();
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const assertion = (confirmation: string, issuer = 'https://idp.example.test') =>
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" IssueInstant="${issued}">` +
    `<saml:Issuer>${issuer}</saml:Issuer><saml:Subject><saml:NameID>sam</saml:NameID>${confirmation}</saml:Subject>` +
    `<saml:Conditions NotOnOrAfter="${inAnHour}"/></saml:Assertion>`;
  const bearer = (attributes: string) =>
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
    `<saml:SubjectConfirmationData ${attributes}/></saml:SubjectConfirmation>`;
  const expected: { acsUrl: string; idpEntityId: string | null; expectedRequestId: string | null } = {
    acsUrl: ACS,
    idpEntityId: 'https://idp.example.test',
    expectedRequestId: '_req',
  };

  it('answers the assertion id, its replay record kept at least as long as an assertion may live', async () => {
    const before = Date.now();
    const facts = await checkSignedAssertion(
      assertion(bearer(`Recipient="${ACS}" InResponseTo="_req" NotOnOrAfter="${inAMinute}"`)),
      expected,
    );
    expect(facts.assertionId).toBe('_a1');
    // The confirmation says a minute, but a record shorter than MAX_ASSERTION_AGE could let a replay through.
    expect(facts.acceptableUntil.getTime()).toBeGreaterThanOrEqual(before + MAX_ASSERTION_AGE_MS + CLOCK_SKEW_MS);
    expect(facts.acceptableUntil.getTime()).toBeLessThanOrEqual(Date.now() + MAX_ASSERTION_AGE_MS + CLOCK_SKEW_MS);
  });

  it('refuses our confirmation outside its own window, even beside a live one for someone else', async () => {
    const past = new Date(Date.now() - 5 * 60_000).toISOString();
    const later = new Date(Date.now() + 5 * 60_000).toISOString();
    const decoy = bearer(`Recipient="https://x.test/acs" InResponseTo="_req" NotOnOrAfter="${inAnHour}"`);
    const expired = assertion(decoy + bearer(`Recipient="${ACS}" InResponseTo="_req" NotOnOrAfter="${past}"`));
    expect(await refusalReason(checkSignedAssertion(expired, expected))).toBe('SAML_ASSERTION_EXPIRED');
    const early = assertion(
      decoy + bearer(`Recipient="${ACS}" InResponseTo="_req" NotBefore="${later}" NotOnOrAfter="${inAnHour}"`),
    );
    expect(await refusalReason(checkSignedAssertion(early, expected))).toBe('SAML_ASSERTION_NOT_YET_VALID');
  });

  it('refuses another Recipient, another request, no bearer confirmation, another issuer', async () => {
    const cases: Array<[string, string, typeof expected?]> = [
      [
        assertion(bearer(`Recipient="https://x.test/acs" InResponseTo="_req" NotOnOrAfter="${inAMinute}"`)),
        'SAML_WRONG_RECIPIENT',
      ],
      [assertion(bearer(`Recipient="${ACS}" InResponseTo="_other" NotOnOrAfter="${inAMinute}"`)), 'SAML_WRONG_REQUEST'],
      [assertion(bearer(`Recipient="${ACS}" NotOnOrAfter="${inAMinute}"`)), 'SAML_WRONG_REQUEST'],
      [
        assertion(bearer(`Recipient="${ACS}" InResponseTo="_req" NotOnOrAfter="${inAMinute}"`)),
        'SAML_WRONG_REQUEST',
        { ...expected, expectedRequestId: null },
      ],
      [assertion(''), 'SAML_RESPONSE_INVALID'],
      [assertion(bearer(`Recipient="${ACS}" InResponseTo="_req"`)), 'SAML_RESPONSE_INVALID'],
      [
        assertion(bearer(`Recipient="${ACS}" InResponseTo="_req" NotOnOrAfter="${inAMinute}"`), 'https://evil.test'),
        'SAML_WRONG_ISSUER',
      ],
    ];
    for (const [xml, reason, expectation] of cases) {
      expect(await refusalReason(checkSignedAssertion(xml, expectation ?? expected))).toBe(reason);
    }
  });
});

describe('idpProfileOf', () => {
  const profile = (fields: Partial<Profile>): Profile =>
    ({
      issuer: 'idp',
      nameID: 'sub-1',
      nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      ...fields,
    }) as Profile;

  it('reads the email, name and groups from the attributes', () => {
    const read = idpProfileOf(
      profile({
        attributes: {
          email: ' Sam@Corp.Example ',
          firstName: 'Sam',
          lastName: 'Lee',
          groups: ['eng', 'party,admins', 'CN=ops,OU=Groups,DC=corp'],
        },
      }),
    );
    expect(read).toEqual({
      subject: 'sub-1',
      email: 'sam@corp.example',
      emailVerified: true,
      name: 'Sam Lee',
      // Each value whole: a comma inside a group name (or an AD group DN) splits nothing.
      attributes: {
        email: ['Sam@Corp.Example'],
        firstName: ['Sam'],
        lastName: ['Lee'],
        groups: ['eng', 'party,admins', 'CN=ops,OU=Groups,DC=corp'],
      },
      mfaAsserted: false,
    });
  });

  it('falls back to an emailAddress NameID, and refuses a profile without an email', () => {
    const byNameId = profile({
      nameID: 'sam@corp.example',
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    });
    expect(idpProfileOf(byNameId).email).toBe('sam@corp.example');
    expect(() => idpProfileOf(profile({ attributes: { groups: ['eng'] } }))).toThrow(/no email/);
  });
});
