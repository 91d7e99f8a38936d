import { ssoRefused } from '../refusal.js';
import { parseXml, selectAttributeValues, type XmlDocument, type XmlElement, type XmlNode } from './xml-dom.js';

/** Signature and digest algorithms we accept: SHA-256 and stronger (SHA-1 collisions are practical). */
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

const COMMENT_NODE = 8;
const PROCESSING_INSTRUCTION_NODE = 7;
const DOCUMENT_TYPE_NODE = 10;

function malformed(message: string) {
  return ssoRefused('SAML_RESPONSE_INVALID', message);
}

/** Any comment, processing instruction or DTD: none belongs in a SAML response, and each has been used to split signed text. */
function findForbiddenNode(node: XmlNode): string | null {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === COMMENT_NODE) return 'a comment';
    if (child.nodeType === PROCESSING_INSTRUCTION_NODE) return 'a processing instruction';
    if (child.nodeType === DOCUMENT_TYPE_NODE) return 'a document type declaration';
    const inside = findForbiddenNode(child);
    if (inside) return inside;
  }
  return null;
}

function checkAlgorithms(doc: XmlDocument): void {
  const signatureMethods = selectAttributeValues(doc, "//*[local-name()='SignatureMethod']/@Algorithm");
  const digestMethods = selectAttributeValues(doc, "//*[local-name()='DigestMethod']/@Algorithm");
  if (signatureMethods.some((algorithm) => !SIGNATURE_ALGORITHMS.has(algorithm))) {
    throw ssoRefused(
      'SAML_WEAK_SIGNATURE',
      'The SAML response is signed with an algorithm we do not accept (SHA-256 or stronger)',
    );
  }
  if (digestMethods.some((algorithm) => !DIGEST_ALGORITHMS.has(algorithm))) {
    throw ssoRefused('SAML_WEAK_SIGNATURE', 'The SAML response uses a digest we do not accept (SHA-256 or stronger)');
  }
}

function checkDestination(doc: XmlDocument, acsUrl: string): XmlElement {
  const root = doc.documentElement;
  if (root?.localName !== 'Response' || root.namespaceURI !== 'urn:oasis:names:tc:SAML:2.0:protocol') {
    throw malformed('The SAML message is not a Response');
  }
  // Optional in the schema; when present it must name this connection's ACS (a response for another SP).
  const destination = root.getAttribute('Destination');
  if (destination && destination !== acsUrl) {
    throw ssoRefused('SAML_WRONG_DESTINATION', 'The SAML response was sent to another service provider');
  }
  return root;
}

export interface ResponseShape {
  /** The request the response says it answers (unsigned here: the signed assertion must agree). */
  inResponseTo: string | null;
}

/**
 * What node-saml leaves to its caller, checked on the whole response before it is verified: no
 * comments/processing instructions/DTD, SHA-256+ for every signature and digest, Destination = our ACS.
 */
export async function checkResponseShape(xml: string, acsUrl: string): Promise<ResponseShape> {
  let doc: XmlDocument;
  try {
    doc = await parseXml(xml);
  } catch {
    throw malformed('The SAML response is not well-formed XML');
  }
  const forbidden = findForbiddenNode(doc);
  if (forbidden) throw malformed(`The SAML response contains ${forbidden}`);
  const response = checkDestination(doc, acsUrl);
  checkAlgorithms(doc);
  return { inResponseTo: response.getAttribute('InResponseTo') || null };
}
