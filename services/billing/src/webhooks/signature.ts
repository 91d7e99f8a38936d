import { validationError } from '@gatehouse/contracts';
import type Stripe from 'stripe';
import type { BillingContext } from '../context.js';
import { loadedStripeErrors } from '../stripe/sdk.js';

type SignatureProblem = 'missing' | 'signature does not match' | 'timestamp outside the tolerance';

const refused = (problem: SignatureProblem) =>
  validationError([{ field: 'stripe-signature', location: 'headers', error: problem }]);

/**
 * The event a delivery carries, once its signature holds with one of the webhook secrets (several while
 * one is rolled) and its signed timestamp is recent enough. Anything else is 400, saying which.
 */
export function verifiedEvent(
  ctx: BillingContext,
  stripe: Stripe,
  raw: Buffer,
  header: string | undefined,
): Stripe.Event {
  if (!header) throw refused('missing');
  let late = false;
  for (const secret of ctx.webhookSecrets) {
    try {
      return eventOf(stripe.webhooks.constructEvent(raw, header, secret, ctx.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS));
    } catch (failure) {
      // Loaded: `stripe` is a client, made by createStripeClient.
      const errors = loadedStripeErrors();
      if (!errors || !(failure instanceof errors.StripeSignatureVerificationError)) throw failure;
      // The SDK checks the timestamp only after a signature matched: this secret signed it, too long ago.
      if (/tolerance/i.test(failure.message)) late = true;
    }
  }
  throw refused(late ? 'timestamp outside the tolerance' : 'signature does not match');
}

/** Signed by Stripe, so well formed; checked anyway, since what follows reads these fields. */
function eventOf(value: unknown): Stripe.Event {
  const event = value as Partial<Stripe.Event> | null;
  const wellFormed =
    typeof event?.id === 'string' &&
    typeof event.type === 'string' &&
    typeof event.created === 'number' &&
    // typeof null is 'object' too: an event naming no object is refused like any other malformed one.
    typeof event.data?.object === 'object' &&
    event.data.object !== null;
  if (!wellFormed) throw validationError([{ field: 'body', location: 'body', error: 'is not a Stripe event' }]);
  return event as Stripe.Event;
}
