import type Stripe from 'stripe';
import type { BillingConfig } from '../config.js';
import { loadStripeSdk } from './sdk.js';

/**
 * The official SDK, or null in local mode (no secret key). Tests point it at a local counterpart with
 * STRIPE_API_HOST/PORT/PROTOCOL. Each call is bounded (timeout, one network retry), so a Stripe outage
 * becomes a 503 instead of a hung request.
 */
export async function createStripeClient(config: BillingConfig): Promise<Stripe | null> {
  if (!config.STRIPE_SECRET_KEY) return null;
  const StripeSdk = await loadStripeSdk();
  return new StripeSdk(config.STRIPE_SECRET_KEY, {
    timeout: config.STRIPE_TIMEOUT_MS,
    maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
    telemetry: false,
    appInfo: { name: 'Gatehouse billing' },
    ...(config.STRIPE_API_HOST && { host: config.STRIPE_API_HOST }),
    ...(config.STRIPE_API_PORT && { port: config.STRIPE_API_PORT }),
    ...(config.STRIPE_API_PROTOCOL && { protocol: config.STRIPE_API_PROTOCOL }),
  });
}

/** The secrets a delivery may be signed with (a key without one is refused at start). */
export function webhookSecretsOf(config: BillingConfig): string[] {
  if (config.STRIPE_SECRET_KEY && !config.STRIPE_WEBHOOK_SECRET) {
    throw new Error('STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set (docs/billing.md)');
  }
  return config.STRIPE_WEBHOOK_SECRET?.split(',') ?? [];
}
