import type { IdentityContext } from '../../context.js';

/** Our side of one SAML connection: the values an IdP administrator enters, all under PUBLIC_URL. */
export interface ServiceProviderUrls {
  entityId: string;
  acsUrl: string;
  metadataUrl: string;
}

export function serviceProviderUrls(ctx: IdentityContext, connectionId: string): ServiceProviderUrls {
  const base = `${ctx.config.PUBLIC_URL.replace(/\/+$/, '')}/api/auth/sso/saml/${encodeURIComponent(connectionId)}`;
  // The entity id is the metadata URL: an IdP can fetch what it names.
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata` };
}
