import type { Profile } from '@node-saml/node-saml';
import { ssoRefused } from '../refusal.js';
import type { IdpProfile } from '../sign-in.js';

/** Where IdPs put the email: plain names (saml-idp, Okta), the LDAP OID, and the ADFS/Entra claim URI. */
const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'urn:oid:0.9.2342.19200300.100.1.3',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];
const DISPLAY_NAME_ATTRIBUTES = [
  'displayName',
  'name',
  'urn:oid:2.16.840.1.113730.3.1.241',
  'http://schemas.microsoft.com/identity/claims/displayname',
];
const GIVEN_NAME_ATTRIBUTES = ['firstName', 'givenName', 'urn:oid:2.5.4.42'];
const FAMILY_NAME_ATTRIBUTES = ['lastName', 'sn', 'surname', 'urn:oid:2.5.4.4'];
const EMAIL_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Authentication contexts that say the IdP asked for more than one factor (REFEDS MFA, Entra, SAML 2.0 classes). */
export const MFA_AUTHN_CONTEXTS: ReadonlySet<string> = new Set([
  'https://refeds.org/profile/mfa',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
]);

/** node-saml gives one value as a string and several as an array; nested XML values are dropped. */
export function attributeValues(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string').map((item) => item.trim());
}

function attributesOf(profile: Profile): Record<string, string[]> {
  const raw = (profile.attributes ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    // Each AttributeValue is one whole value: a group named `party,eng-admins` or an AD group DN
    // (`CN=eng-admins,OU=…`) is not membership of `eng-admins`.
    attributes[name] = attributeValues(value).filter(Boolean);
  }
  return attributes;
}

function first(attributes: Record<string, string[]>, names: readonly string[]): string | null {
  for (const name of names) {
    const value = attributes[name]?.find((item) => item.length > 0);
    if (value) return value;
  }
  return null;
}

function emailOf(profile: Profile, attributes: Record<string, string[]>): string {
  const fromAttribute = first(attributes, EMAIL_ATTRIBUTES);
  const fromNameId = profile.nameIDFormat === EMAIL_NAME_ID_FORMAT ? profile.nameID : null;
  const email = (fromAttribute ?? fromNameId ?? '').trim().toLowerCase();
  if (!EMAIL_SHAPE.test(email)) throw ssoRefused('SAML_NO_EMAIL', 'The identity provider sent no email address');
  return email;
}

function nameOf(attributes: Record<string, string[]>): string | null {
  const display = first(attributes, DISPLAY_NAME_ATTRIBUTES);
  if (display) return display.slice(0, 100);
  const parts = [first(attributes, GIVEN_NAME_ATTRIBUTES), first(attributes, FAMILY_NAME_ATTRIBUTES)].filter(Boolean);
  return parts.length > 0 ? parts.join(' ').slice(0, 100) : null;
}

/** xml2js (node-saml's parse of the signed assertion) keeps text as `_` when the element has attributes. */
function textsOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items
    .map((item) => (typeof item === 'string' ? item : (item as { _?: unknown } | null)?._))
    .filter((item): item is string => typeof item === 'string')
    .map((item) => item.trim());
}

function childrenOf(nodes: unknown[], name: string): unknown[] {
  return nodes.flatMap((node) => {
    const children = node && typeof node === 'object' ? (node as Record<string, unknown>)[name] : undefined;
    return Array.isArray(children) ? children : [];
  });
}

/**
 * The AuthnContextClassRefs of the signed assertion's AuthnStatements (node-saml parsed exactly the
 * bytes it verified), each checked against the MFA contexts.
 */
export function authnContextAssertsMfa(profile: Profile): boolean {
  const parsed = profile.getAssertion?.() as { Assertion?: unknown } | undefined;
  if (!parsed?.Assertion) return false;
  const statements = childrenOf([parsed.Assertion], 'AuthnStatement');
  const classRefs = childrenOf(childrenOf(statements, 'AuthnContext'), 'AuthnContextClassRef');
  return classRefs.flatMap(textsOf).some((ref) => MFA_AUTHN_CONTEXTS.has(ref));
}

/**
 * The person as a verified assertion describes them. The subject is the NameID (accounts are linked
 * by connection + subject); the IdP vouches for the email it asserts, so it counts as verified by
 * the IdP (whether the account is verified still depends on the organization's verified domain).
 */
export function idpProfileOf(profile: Profile): IdpProfile {
  if (!profile.nameID) throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAML assertion names no subject');
  const attributes = attributesOf(profile);
  return {
    subject: profile.nameID,
    email: emailOf(profile, attributes),
    emailVerified: true,
    name: nameOf(attributes),
    attributes,
    mfaAsserted: authnContextAssertsMfa(profile),
  };
}
