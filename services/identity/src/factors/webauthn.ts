import type { IdentityContext } from '../context.js';

/** The relying party: id = PUBLIC_URL's host, origins = PUBLIC_URL's origin plus WEBAUTHN_EXTRA_ORIGINS. */
export function relyingParty(ctx: IdentityContext): { rpID: string; rpName: string; origins: string[] } {
  const publicUrl = new URL(ctx.config.PUBLIC_URL);
  const extra = ctx.config.WEBAUTHN_EXTRA_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0)
    .map((origin) => new URL(origin).origin);
  return {
    rpID: publicUrl.hostname,
    rpName: ctx.config.WEBAUTHN_RP_NAME,
    origins: [...new Set([publicUrl.origin, ...extra])],
  };
}
