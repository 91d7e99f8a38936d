import type { AppError } from '@gatehouse/contracts';
import type { CacheProvider, Profile, SAML, SamlStatusError } from '@node-saml/node-saml';
import { ssoRefused } from '../refusal.js';

/** Clocks of IdP and SP may differ by this much, no more. */
export const CLOCK_SKEW_MS = 60_000;
/** However long an IdP lets its assertion live, we take it this long after it was issued at most. */
export const MAX_ASSERTION_AGE_MS = 10 * 60_000;

export interface VerifyInput {
  /** The decoded SAMLResponse. */
  xml: string;
  entityId: string;
  acsUrl: string;
  idpEntityId: string | null;
  idpCertificates: string[];
  /** The AuthnRequest this browser started; null for an IdP-initiated response (which must then name none). */
  expectedRequestId: string | null;
}

/**
 * node-saml keeps outstanding request ids in a cache; ours is in sso_login_requests, so the cache
 * knows exactly the one request the browser's state cookie names.
 */
function requestCache(expectedRequestId: string | null): CacheProvider {
  return {
    saveAsync: async () => null,
    getAsync: async (key) =>
      expectedRequestId !== null && key === expectedRequestId ? new Date().toISOString() : null,
    removeAsync: async () => null,
  };
}

/** node-saml reports failures as plain Errors: their messages name the check that failed. */
const REFUSAL_BY_MESSAGE: ReadonlyArray<[RegExp, string, string]> = [
  [/not yet valid/i, 'SAML_ASSERTION_NOT_YET_VALID', 'The SAML assertion is not valid yet'],
  [/expired/i, 'SAML_ASSERTION_EXPIRED', 'The SAML assertion has expired'],
  [/audience/i, 'SAML_WRONG_AUDIENCE', 'The SAML assertion is meant for another service provider'],
  [
    /InResponseTo|subject confirmation/i,
    'SAML_WRONG_REQUEST',
    'The SAML response answers a sign-in this browser did not start',
  ],
  [
    /signature|signed|assertion/i,
    'SAML_SIGNATURE_INVALID',
    'The SAML response is not validly signed by the identity provider',
  ],
];

/**
 * node-saml says only that no subject confirmation is within its time window; which side of it the
 * assertion is on is read from the response here, for the message alone (the refusal is node-saml's).
 */
function outsideWindow(xml: string): string {
  const notBefore = xml.match(/SubjectConfirmationData\b[^>]*\bNotBefore="([^"]+)"/)?.[1];
  const early = notBefore !== undefined && Date.parse(notBefore) > Date.now() + CLOCK_SKEW_MS;
  return early ? 'SAML assertion not yet valid' : 'SAML assertion expired';
}

function refusalOf(error: unknown, xml: string, statusError: typeof SamlStatusError): AppError {
  if (error instanceof statusError) {
    return ssoRefused('SAML_IDP_ERROR', 'The identity provider did not sign you in');
  }
  let message = error instanceof Error ? error.message : String(error);
  if (/No valid subject confirmation/i.test(message)) message = outsideWindow(xml);
  for (const [pattern, reason, text] of REFUSAL_BY_MESSAGE) {
    if (pattern.test(message)) return ssoRefused(reason, text);
  }
  return ssoRefused('SAML_RESPONSE_INVALID', 'The SAML response was refused');
}

/**
 * node-saml's verification: the assertion itself signed by one of the connection's certificates
 * (a signed response alone is not enough), exactly one assertion, audience = our entity id,
 * NotBefore/NotOnOrAfter within CLOCK_SKEW_MS, InResponseTo = the browser's request.
 * Returns the profile read from the signed bytes only.
 */
export async function verifyWithNodeSaml(input: VerifyInput): Promise<Profile> {
  if (input.idpCertificates.length === 0)
    throw ssoRefused('SAML_SIGNATURE_INVALID', 'The connection has no certificate');
  // Loaded on first SAML use, not at start (see metadata.ts).
  const { SAML, SamlStatusError, ValidateInResponseTo } = await import('@node-saml/node-saml');
  const saml = new SAML({
    issuer: input.entityId,
    callbackUrl: input.acsUrl,
    audience: input.entityId,
    idpCert: input.idpCertificates,
    ...(input.idpEntityId ? { idpIssuer: input.idpEntityId } : {}),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
    validateInResponseTo:
      input.expectedRequestId === null ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    cacheProvider: requestCache(input.expectedRequestId),
  });
  let result: Awaited<ReturnType<SAML['validatePostResponseAsync']>>;
  try {
    result = await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(input.xml, 'utf8').toString('base64') });
  } catch (error) {
    throw refusalOf(error, input.xml, SamlStatusError);
  }
  if (!result.profile || result.loggedOut)
    throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAML message is not a sign-in');
  return result.profile;
}
