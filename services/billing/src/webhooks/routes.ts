import { BILLING_ROUTES } from '@gatehouse/contracts';
import { type HttpApp, ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';
import { requireStripe } from '../stripe/errors.js';
import { handleStripeEvent } from './service.js';
import { verifiedEvent } from './signature.js';

/**
 * POST /api/webhooks/stripe. The signature covers the exact bytes Stripe sent, so the route lives in a
 * scope of its own whose only body parser hands the handler the raw body as a Buffer.
 */
export function stripeWebhookRoutes(routes: RouteServer, ctx: BillingContext, app: HttpApp): void {
  // Not awaited, and nothing is lost: fastify queues the plugin and a failure in it rejects app.ready() (so
  // listen() and inject() too); the service never serves without this route. `void` only marks the thenable.
  void app.register(async (child) => {
    // register() hands the child scope fastify's default generics; it is the same app type.
    const scope = child as unknown as HttpApp;
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: ctx.config.BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    routes.within(scope).serve(BILLING_ROUTES.stripeWebhook, async (request, reply) => {
      const stripe = requireStripe(ctx);
      const raw = toBuffer(request.body as unknown);
      const event = verifiedEvent(ctx, stripe, raw, headerOf(request.headers['stripe-signature']));
      return ok(reply, 'Stripe event received', await handleStripeEvent(ctx, stripe, event));
    });
  });
}

/** No body at all (no content type) is an empty one: its signature cannot match. */
const toBuffer = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));

const headerOf = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;
