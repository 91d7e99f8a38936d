import { randomBytes } from 'node:crypto';
import type { IdentityContext } from '../../context.js';
import type { SsoConnection } from '../entities.js';
import { serviceProviderUrls } from './service-provider.js';

/** A fresh AuthnRequest ID: an xs:ID must not start with a digit, hence the underscore. */
function newRequestId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/**
 * The IdP URL that starts an SP-initiated sign-in (HTTP-Redirect binding, AuthnRequest signed with
 * SAML_SP_PRIVATE_KEY) and the request's ID, which the caller stores so the response's InResponseTo
 * can be matched to this browser's request. The state is not sent: it is the browser's secret,
 * and its cookie brings it back to the ACS, where it names the stored request.
 */
export async function samlLoginUrl(
  ctx: IdentityContext,
  connection: SsoConnection,
  _state: string,
): Promise<{ url: string; requestId: string }> {
  if (connection.type !== 'saml' || !connection.samlIdpSsoUrl) throw new Error('not a SAML connection');
  const sp = serviceProviderUrls(ctx, connection.id);
  const requestId = newRequestId();
  // Loaded on first SAML use, not at start (see metadata.ts).
  const { SAML, ValidateInResponseTo } = await import('@node-saml/node-saml');
  const saml = new SAML({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: connection.samlIdpSsoUrl,
    // Verification happens at the ACS with its own options; this instance only writes the request.
    idpCert: connection.samlIdpCertificates.map((certificate) => certificate.pem),
    privateKey: ctx.config.SAML_SP_PRIVATE_KEY,
    signatureAlgorithm: 'sha256',
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    validateInResponseTo: ValidateInResponseTo.never,
    generateUniqueId: () => requestId,
  });
  const url = await saml.getAuthorizeUrlAsync('', undefined, {});
  return { url, requestId };
}
