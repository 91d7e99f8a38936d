import { ssoRefused } from '../refusal.js';
import { CLOCK_SKEW_MS, MAX_ASSERTION_AGE_MS } from './verify.js';
import { parseXml, selectElements, type XmlElement } from './xml-dom.js';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export interface SignedAssertionFacts {
  assertionId: string;
  /** After this the assertion can no longer be accepted, so its replay record may go. */
  acceptableUntil: Date;
}

export interface AssertionExpectations {
  acsUrl: string;
  idpEntityId: string | null;
  expectedRequestId: string | null;
}

function attribute(element: XmlElement, name: string): string | null {
  const value = element.getAttribute(name);
  return value === null || value === '' ? null : value;
}

function child(element: XmlElement, localName: string): XmlElement[] {
  return selectElements(element, `./*[local-name()='${localName}']`);
}

function checkIssuer(assertion: XmlElement, idpEntityId: string | null): void {
  const issuer = child(assertion, 'Issuer')[0]?.textContent?.trim() ?? null;
  if (idpEntityId && issuer !== idpEntityId) {
    throw ssoRefused('SAML_WRONG_ISSUER', 'The SAML assertion was issued by another identity provider');
  }
}

function time(element: XmlElement, name: string): number | null {
  const value = attribute(element, name);
  if (value === null) return null;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw ssoRefused('SAML_RESPONSE_INVALID', `The SAML assertion's ${name} is not a time`);
  return parsed;
}

/**
 * node-saml accepts an assertion while ANY of its confirmations is in its time window, whoever it is
 * for; the one we rely on (ours) must be in its own window too, else an expired confirmation for us
 * rides on a live one for someone else. Returns when ours stops being acceptable.
 */
function checkConfirmationWindow(confirmation: XmlElement, issuedAt: number, now: number): number {
  const notBefore = time(confirmation, 'NotBefore');
  const notOnOrAfter = time(confirmation, 'NotOnOrAfter');
  if (notOnOrAfter === null) {
    throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAML assertion does not say when it expires');
  }
  if (notBefore !== null && now + CLOCK_SKEW_MS < notBefore) {
    throw ssoRefused('SAML_ASSERTION_NOT_YET_VALID', 'The SAML assertion is not valid yet');
  }
  const end = Math.min(notOnOrAfter, issuedAt + MAX_ASSERTION_AGE_MS);
  if (now - CLOCK_SKEW_MS >= end) throw ssoRefused('SAML_ASSERTION_EXPIRED', 'The SAML assertion has expired');
  return end;
}

/**
 * A bearer confirmation for our ACS (Recipient) and for this browser's request (InResponseTo, none
 * when IdP-initiated), within its own time window — node-saml checks neither Recipient nor that a
 * confirmation exists at all. Returns the end of its window.
 */
function checkSubjectConfirmation(assertion: XmlElement, expected: AssertionExpectations, issuedAt: number): number {
  const confirmations = selectElements(
    assertion,
    `./*[local-name()='Subject']/*[local-name()='SubjectConfirmation'][@Method='${BEARER}']/*[local-name()='SubjectConfirmationData']`,
  );
  if (confirmations.length === 0)
    throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAML assertion has no bearer confirmation');
  const forUs = confirmations.filter((data) => attribute(data, 'Recipient') === expected.acsUrl);
  if (forUs.length === 0) throw ssoRefused('SAML_WRONG_RECIPIENT', 'The SAML assertion was meant for another address');
  const answering = forUs.filter((data) => attribute(data, 'InResponseTo') === expected.expectedRequestId);
  const confirmation = answering[0];
  if (!confirmation) {
    throw ssoRefused('SAML_WRONG_REQUEST', 'The SAML response answers a sign-in this browser did not start');
  }
  return checkConfirmationWindow(confirmation, issuedAt, Date.now());
}

/**
 * How long the replay record must stay: past the last moment our confirmation is acceptable (plus the
 * skew every check grants; Conditions can only end it sooner), and never shorter than an assertion may live.
 */
function replayRecordUntil(confirmationEnd: number, now: number): Date {
  return new Date(Math.max(confirmationEnd, now + MAX_ASSERTION_AGE_MS) + CLOCK_SKEW_MS);
}

/** Checks on the signed assertion's bytes (what node-saml verified) that node-saml leaves to us. */
export async function checkSignedAssertion(
  signedXml: string,
  expected: AssertionExpectations,
): Promise<SignedAssertionFacts> {
  const doc = await parseXml(signedXml);
  const assertion = doc.documentElement;
  if (assertion?.localName !== 'Assertion') throw ssoRefused('SAML_RESPONSE_INVALID', 'No signed assertion');
  const assertionId = attribute(assertion, 'ID');
  const issuedAt = attribute(assertion, 'IssueInstant');
  if (!assertionId || !issuedAt)
    throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAML assertion has no ID or IssueInstant');
  checkIssuer(assertion, expected.idpEntityId);
  const issuedAtMs = Date.parse(issuedAt);
  if (Number.isNaN(issuedAtMs))
    throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAML assertion’s IssueInstant is not a time');
  const confirmationEnd = checkSubjectConfirmation(assertion, expected, issuedAtMs);
  return { assertionId, acceptableUntil: replayRecordUntil(confirmationEnd, Date.now()) };
}
