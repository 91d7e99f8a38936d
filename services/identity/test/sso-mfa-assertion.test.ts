import type { Profile } from '@node-saml/node-saml';
import { parseXml2JsFromString } from '@node-saml/node-saml/lib/xml.js';
import { describe, expect, it } from 'vitest';
import { amrAssertsMfa } from '../src/sso/oidc.js';
import { authnContextAssertsMfa } from '../src/sso/saml/profile.js';

/**
 * When an IdP's word counts as the second factor: an OIDC `amr` naming a method beyond a password
 * (RFC 8176), or a SAML AuthnContextClassRef for multi-factor authentication. Anything else, or
 * anything malformed, counts as one factor, and the account's own second factor is asked.
 */

describe('amrAssertsMfa (OIDC amr claim)', () => {
  it('counts mfa, alone or with others', () => {
    expect(amrAssertsMfa(['mfa'])).toBe(true);
    expect(amrAssertsMfa(['pwd', 'mfa'])).toBe(true);
  });

  it.each([['otp'], ['hwk'], ['swk'], ['sc'], ['fpt'], ['face'], ['iris'], ['sms'], ['tel']])(
    'counts %s with a password or a PIN, but not alone',
    (method) => {
      expect(amrAssertsMfa(['pwd', method])).toBe(true);
      expect(amrAssertsMfa(['pin', method])).toBe(true);
      expect(amrAssertsMfa([method])).toBe(false);
      expect(amrAssertsMfa([method, method])).toBe(false);
      expect(amrAssertsMfa([method, 'user'])).toBe(false);
    },
  );

  it.each([
    ['absent', undefined],
    ['null', null],
    ['empty', []],
    ['password only', ['pwd']],
    ['two things known', ['pwd', 'pin']],
    ['a lone code', ['sms']],
    ['knowledge and user presence', ['kba', 'user', 'geo']],
    ['a string, not an array', 'mfa'],
    ['objects', [{ method: 'mfa' }]],
    ['another case', ['MFA', 'Otp']],
    ['a number', [1]],
  ])('does not count %s', (_label, amr) => {
    expect(amrAssertsMfa(amr)).toBe(false);
  });
});

/** What node-saml hands over: its xml2js parse of the signed assertion, behind getAssertion(). */
async function assertionProfile(statements: string): Promise<Profile> {
  const parsed = await parseXml2JsFromString(
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0" IssueInstant="2026-12-02T00:00:00Z">
       <saml:Issuer>https://idp.example.test</saml:Issuer>
       ${statements}
     </saml:Assertion>`,
  );
  return { issuer: 'https://idp.example.test', nameID: 'sam', nameIDFormat: 'x', getAssertion: () => parsed };
}

const statement = (classRef: string, attributes = '') =>
  `<saml:AuthnStatement AuthnInstant="2026-12-02T00:00:00Z"><saml:AuthnContext>
     <saml:AuthnContextClassRef${attributes}>${classRef}</saml:AuthnContextClassRef>
   </saml:AuthnContext></saml:AuthnStatement>`;

describe('authnContextAssertsMfa (SAML AuthnContextClassRef)', () => {
  it.each([
    'https://refeds.org/profile/mfa',
    'http://schemas.microsoft.com/claims/multipleauthn',
    'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
    'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
    'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  ])('counts %s', async (classRef) => {
    expect(authnContextAssertsMfa(await assertionProfile(statement(classRef)))).toBe(true);
    // Whitespace around the value and an attribute on the element change nothing.
    expect(authnContextAssertsMfa(await assertionProfile(statement(`  ${classRef}\n`, ' xml:lang="en"')))).toBe(true);
    // Any one of several statements is enough.
    const two = statement('urn:oasis:names:tc:SAML:2.0:ac:classes:Password') + statement(classRef);
    expect(authnContextAssertsMfa(await assertionProfile(two))).toBe(true);
  });

  it.each([
    ['password over TLS', statement('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport')],
    ['unspecified', statement('urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified')],
    ['REFEDS single factor', statement('https://refeds.org/profile/sfa')],
    ['a prefix of an MFA context', statement('https://refeds.org/profile/mfa/extra')],
    ['no AuthnStatement', ''],
    ['an empty class reference', statement('')],
    [
      'the MFA value outside AuthnContextClassRef',
      '<saml:AuthnStatement><saml:AuthnContext><saml:AuthnContextDeclRef>https://refeds.org/profile/mfa</saml:AuthnContextDeclRef></saml:AuthnContext></saml:AuthnStatement>',
    ],
  ])('does not count %s', async (_label, statements) => {
    expect(authnContextAssertsMfa(await assertionProfile(statements))).toBe(false);
  });

  it('does not count a profile without its parsed assertion', () => {
    expect(authnContextAssertsMfa({ issuer: 'x', nameID: 'sam', nameIDFormat: 'x' })).toBe(false);
  });
});
