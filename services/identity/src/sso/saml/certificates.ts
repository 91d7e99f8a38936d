import { X509Certificate } from 'node:crypto';
import type { SsoConnection } from '../entities.js';
import { ssoRefused } from '../refusal.js';
import { CLOCK_SKEW_MS } from './verify.js';

/** Whether the certificate is within its validity period now, give or take the clock skew. */
export function isCurrentCertificate(pem: string, now = Date.now()): boolean {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return false;
  }
  const validFrom = Date.parse(certificate.validFrom);
  const validTo = Date.parse(certificate.validTo);
  return validFrom - CLOCK_SKEW_MS <= now && now < validTo + CLOCK_SKEW_MS;
}

/**
 * The connection's certificates an assertion may be verified with: an expired (or not yet valid) key
 * may have leaked or been retired, so it no longer speaks for the IdP. None left: refused, saying why.
 */
export function usableCertificates(connection: SsoConnection): string[] {
  const pems = connection.samlIdpCertificates.map((certificate) => certificate.pem);
  const current = pems.filter((pem) => isCurrentCertificate(pem));
  if (pems.length > 0 && current.length === 0) {
    throw ssoRefused(
      'SAML_CERTIFICATE_EXPIRED',
      'Every certificate of this connection’s identity provider has expired; its administrator must add a current one',
    );
  }
  return current;
}
