import type { FieldError } from '@gatehouse/contracts';
import type { BillingConfig } from '../config.js';

/** Where Stripe may send the browser back to: BILLING_REDIRECT_ORIGINS, or else PUBLIC_URL's origin. */
export function allowedRedirectOrigins(config: BillingConfig): Set<string> {
  const listed = config.BILLING_REDIRECT_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [];
  const origins = listed.filter((origin) => origin.length > 0).map(originOf);
  return new Set(origins.length > 0 ? origins : [originOf(config.PUBLIC_URL)]);
}

/** An origin as URL.origin writes it (`https://app.example.com`, default port dropped), or null when not a URL. */
function originOf(text: string): string {
  try {
    return new URL(text).origin;
  } catch {
    return text;
  }
}

/**
 * A body field naming a redirect URL, refused unless its origin is allowed exactly: an open redirect through
 * Stripe's pages would carry the Gatehouse look to any site.
 */
export function redirectError(config: BillingConfig, field: string, url: string): FieldError | null {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return { field, location: 'body', error: 'is not a URL' };
  }
  if (allowedRedirectOrigins(config).has(origin)) return null;
  return { field, location: 'body', error: 'is not on an allowed origin (BILLING_REDIRECT_ORIGINS)' };
}
