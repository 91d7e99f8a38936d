import { randomBytes } from 'node:crypto';

/** What the reference page's HTML carries where the per-request nonce goes. */
export const NONCE_PLACEHOLDER = 'gatehouse-docs-nonce';

export function freshNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Only this origin: the page, its script and the document come from the gateway, the one inline
 * script (the renderer's start) carries the nonce, and nothing may be fetched, framed or posted
 * elsewhere. Styles may be inline: the renderer sets style attributes and injects style elements a
 * nonce cannot reach (a nonce in style-src would also switch 'unsafe-inline' off); a style can load
 * nothing, as img-src and font-src stay on this origin.
 */
export function referenceContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
