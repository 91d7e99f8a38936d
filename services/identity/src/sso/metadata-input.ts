import { createHash, X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
/** SP-initiated sign-in sends the AuthnRequest by redirect; an IdP offering only POST is taken as is. */
const BINDINGS = [
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
];

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  /** PEM, as found (signing keys, or keys with no `use`). */
  certificates: string[];
}

/** Why an input was refused: the problem, for a validation error naming the field. */
export class InputProblem extends Error {}

function parseXml(xml: string): Document {
  // No DTD at all: entity expansion and external entities have no place in metadata.
  if (/<!DOCTYPE/i.test(xml)) throw new InputProblem('must not contain a DOCTYPE');
  const problems: string[] = [];
  const report = (message: string) => problems.push(message.split('\n')[0] ?? message);
  const document = new DOMParser({
    errorHandler: { warning: () => {}, error: report, fatalError: report },
  }).parseFromString(xml, 'text/xml');
  if (problems.length > 0 || !document?.documentElement) {
    throw new InputProblem(`is not well-formed XML (${problems[0] ?? 'no root element'})`);
  }
  return document;
}

const elements = (parent: Document | Element, ns: string, name: string): Element[] =>
  Array.from(parent.getElementsByTagNameNS(ns, name));

/** The IdP's entity id, SSO URL and signing certificates from its SAML 2.0 metadata document. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const document = parseXml(xml);
  const descriptors = elements(document, MD, 'EntityDescriptor').filter(
    (entity) => elements(entity, MD, 'IDPSSODescriptor').length > 0,
  );
  if (descriptors.length !== 1) {
    throw new InputProblem(
      descriptors.length === 0
        ? 'has no EntityDescriptor with an IDPSSODescriptor'
        : 'describes several identity providers: paste the one this connection uses',
    );
  }
  const entity = descriptors[0]!;
  const entityId = entity.getAttribute('entityID')?.trim();
  if (!entityId) throw new InputProblem('has an EntityDescriptor without entityID');
  const idp = elements(entity, MD, 'IDPSSODescriptor')[0]!;
  const services = elements(idp, MD, 'SingleSignOnService');
  const service = BINDINGS.map((binding) => services.find((s) => s.getAttribute('Binding') === binding)).find(Boolean);
  const ssoUrl = service?.getAttribute('Location')?.trim();
  if (!ssoUrl) throw new InputProblem('has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');
  const certificates = elements(idp, MD, 'KeyDescriptor')
    // No `use` means the key serves both (xmldom answers '' for a missing attribute).
    .filter((key) => ['', 'signing'].includes(key.getAttribute('use') ?? ''))
    .flatMap((key) => elements(key, DS, 'X509Certificate'))
    .map((node) => pemOf(node.textContent ?? ''));
  if (certificates.length === 0) throw new InputProblem('has no signing certificate (KeyDescriptor/X509Certificate)');
  return { entityId, ssoUrl, certificates };
}

/** PEM from a PEM block or the bare base64 body an IdP console shows. */
export function pemOf(text: string): string {
  const body = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export interface CertificateFacts {
  pem: string;
  fingerprint: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

/** Reads a certificate with node's X.509 parser; throws InputProblem when it is not one. */
export function readCertificate(text: string): CertificateFacts {
  const pem = pemOf(text);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new InputProblem('is not an X.509 certificate (PEM or base64 DER)');
  }
  const der = certificate.raw;
  const fingerprint = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
  return {
    pem,
    fingerprint,
    subject: certificate.subject.replace(/\n/g, ', '),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
  };
}
