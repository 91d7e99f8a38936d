import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useSearchParams } from 'react-router';
import { canManageBilling, useCurrentOrganization } from '../../api/organizations';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { PageHeader } from '../../components/PageHeader';
import { BillingProfile } from './BillingProfile';
import { CHECKOUT_PARAM } from './billing-actions';
import { FREE_TIER_ID, paymentsKey, type Subscription, subscriptionKey, useSubscription } from './billing-api';
import { CurrentPlan } from './CurrentPlan';
import { PaymentList } from './PaymentList';
import { PlanChooser } from './PlanChooser';
import './billing.css';

const TITLE = 'Billing';
/** Back from a paid checkout, Stripe's webhook may not have arrived yet: read the plan again, this often… */
const CHECKOUT_REREAD_MS = 2_000;
/** …this many times at most (then the notice says to reload later). */
const CHECKOUT_REREADS = 10;

/**
 * `/orgs/:organizationId/billing`: the plan, the plans to upgrade to, the billing profile and the
 * payments. Every member reads it; owners upgrade, open Stripe's billing portal and edit the profile.
 * PLAN_LIMIT_REACHED and SUBSCRIPTION_INACTIVE answers point here (`upgradeUrl`).
 */
export function BillingPage() {
  const { organizationId, organization } = useCurrentOrganization();
  const [search] = useSearchParams();
  const checkout = search.get(CHECKOUT_PARAM);
  const paidCheckout = checkout === 'success';
  const subscription = useSubscription(organizationId, (current, reads) =>
    paidCheckout && current?.tierId === FREE_TIER_ID && reads < CHECKOUT_REREADS ? CHECKOUT_REREAD_MS : false,
  );
  const queryClient = useQueryClient();
  const reads = queryClient.getQueryState(subscriptionKey(organizationId))?.dataUpdateCount ?? 0;
  // The plan that a checkout's webhook changed came with its first invoice: the payments follow.
  const tierId = subscription.data?.tierId;
  useEffect(() => {
    if (paidCheckout && tierId && tierId !== FREE_TIER_ID)
      void queryClient.invalidateQueries({ queryKey: paymentsKey(organizationId) });
  }, [paidCheckout, tierId, organizationId, queryClient]);
  const canManage = canManageBilling(organization?.role);
  return (
    <>
      <PageHeader title={TITLE} description={organization?.name} />
      {subscription.isPending ? (
        <Loading what="Loading the plan" />
      ) : subscription.isError ? (
        <LoadError error={subscription.error} retry={() => subscription.refetch()} />
      ) : (
        <>
          {paidCheckout ? <CheckoutReturn subscription={subscription.data} gaveUp={reads >= CHECKOUT_REREADS} /> : null}
          {checkout === 'canceled' ? <Notice kind="info">Checkout canceled: nothing was charged.</Notice> : null}
          {subscription.data.billingConfigured ? null : (
            <Notice kind="info">
              Billing is not configured on this deployment: every organization is on the free plan.
            </Notice>
          )}
          <CurrentPlan organizationId={organizationId} subscription={subscription.data} canManage={canManage} />
          <PlanChooser organizationId={organizationId} subscription={subscription.data} canManage={canManage} />
          <BillingProfile organizationId={organizationId} canManage={canManage} />
          <PaymentList organizationId={organizationId} />
        </>
      )}
    </>
  );
}

/** Back from a paid checkout: the payment is in; the plan follows once Stripe's webhook arrives. */
function CheckoutReturn({ subscription, gaveUp }: { subscription: Subscription; gaveUp: boolean }) {
  if (subscription.tierId !== FREE_TIER_ID)
    return <Notice kind="success">Payment received: this organization is now on {subscription.tierName}.</Notice>;
  return (
    <Notice kind="info">
      Payment received — your plan updates in a moment.
      {gaveUp ? ' Stripe has not confirmed it yet: reload this page in a minute.' : null}
    </Notice>
  );
}
