import type Stripe from 'stripe';

/**
 * The Stripe SDK, imported only once billing has a secret key (createStripeClient). In local mode it is
 * never loaded: its code and heap (≈ 3 MB) stay out of the process, and no Stripe error can exist.
 */
let sdk: typeof Stripe | undefined;

export async function loadStripeSdk(): Promise<typeof Stripe> {
  sdk ??= (await import('stripe')).default;
  return sdk;
}

/** The SDK's error classes, once it is loaded; undefined before (nothing can have thrown one yet). */
export function loadedStripeErrors(): typeof Stripe.errors | undefined {
  return sdk?.errors;
}
