import { useMutation } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, call } from '../../api/client';
import { type BillingInterval, CHECKOUT, PORTAL } from './billing-api';

/** What the page asks after Stripe's checkout sends the browser back (`?checkout=`). */
export const CHECKOUT_PARAM = 'checkout';

export interface CheckoutChoice {
  tierId: string;
  interval: BillingInterval;
  /** Only for a seat-based tier. */
  seatCount?: number;
}

/** This page, with `?checkout=<outcome>`: where Stripe's checkout sends the browser back. */
function billingPageWith(organizationId: string, outcome: 'success' | 'canceled'): string {
  return `${window.location.origin}/orgs/${organizationId}/billing?${CHECKOUT_PARAM}=${outcome}`;
}

/**
 * A call whose answer is a Stripe page to go to. Its success stays on the screen while the browser
 * leaves (the button stays disabled: no second session); Back from Stripe restores the page from the
 * browser's cache, and the button works again.
 */
function useLeaveForStripe<Input>(ask: (input: Input) => Promise<{ url: string }>) {
  const mutation = useMutation({
    mutationFn: ask,
    onSuccess: ({ url }) => window.location.assign(url),
  });
  const { reset } = mutation;
  useEffect(() => {
    const restored = (event: PageTransitionEvent) => {
      if (event.persisted) reset();
    };
    window.addEventListener('pageshow', restored);
    return () => window.removeEventListener('pageshow', restored);
  }, [reset]);
  return { ...mutation, leaving: mutation.isPending || mutation.isSuccess };
}

/** Upgrade: the API opens a Stripe Checkout session and the browser goes to its page. */
export function useCheckout(organizationId: string) {
  return useLeaveForStripe((choice: CheckoutChoice) =>
    call(
      api.POST(CHECKOUT, {
        params: { path: { organizationId } },
        body: {
          ...choice,
          successUrl: billingPageWith(organizationId, 'success'),
          cancelUrl: billingPageWith(organizationId, 'canceled'),
        },
      }),
    ),
  );
}

/** Manage billing: Stripe's Customer Portal (plan, seats, card, invoices, cancel), back to this page after. */
export function usePortal(organizationId: string) {
  return useLeaveForStripe<void>(() =>
    call(api.POST(PORTAL, { params: { path: { organizationId } }, body: { returnUrl: window.location.href } })),
  );
}
