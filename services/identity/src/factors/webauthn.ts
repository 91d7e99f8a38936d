import type { IdentityContext } from '../context.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP1 implements the bodies.

/** The relying party: id = PUBLIC_URL's host, origins = PUBLIC_URL's origin plus WEBAUTHN_EXTRA_ORIGINS. */
export function relyingParty(_ctx: IdentityContext): { rpID: string; rpName: string; origins: string[] } {
  throw new Error('not built yet');
}
