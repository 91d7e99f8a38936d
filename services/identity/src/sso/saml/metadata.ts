import type { IdentityContext } from '../../context.js';
import { serviceProviderUrls } from './service-provider.js';

/**
 * Our SP metadata for one connection, signed with SAML_SP_PRIVATE_KEY: the entity id, the ACS
 * (HTTP-POST), the certificate our AuthnRequests are signed with, and that assertions must be signed.
 */
export async function serviceProviderMetadata(ctx: IdentityContext, connectionId: string): Promise<string> {
  const sp = serviceProviderUrls(ctx, connectionId);
  // node-saml (with xml-crypto, xpath, xmldom, xmlbuilder: ≈ 2.7 MB of heap) loads on first SAML use,
  // not at start; Node's module cache memoises the import.
  const { generateServiceProviderMetadata } = await import('@node-saml/node-saml');
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
