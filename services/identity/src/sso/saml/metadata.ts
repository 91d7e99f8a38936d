import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import type { IdentityContext } from '../../context.js';
import { serviceProviderUrls } from './service-provider.js';

/**
 * Our SP metadata for one connection, signed with SAML_SP_PRIVATE_KEY: the entity id, the ACS
 * (HTTP-POST), the certificate our AuthnRequests are signed with, and that assertions must be signed.
 */
export function serviceProviderMetadata(ctx: IdentityContext, connectionId: string): string {
  const sp = serviceProviderUrls(ctx, connectionId);
  return generateServiceProviderMetadata({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    identifierFormat: null,
    wantAssertionsSigned: true,
    privateKey: ctx.config.SAML_SP_PRIVATE_KEY,
    publicCerts: ctx.config.SAML_SP_CERTIFICATE,
    signMetadata: true,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
  });
}
