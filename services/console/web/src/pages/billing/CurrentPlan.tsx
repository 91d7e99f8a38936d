import { Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { formatDate, formatDateTime } from '../../components/When';
import { usePortal } from './billing-actions';
import { FREE_TIER_ID, type Subscription } from './billing-api';
import { INTERVAL_LABELS, limitText, retentionText, STATUS_LABELS } from './format';

/**
 * The organization's plan as billing answers it, and what it allows. A payment due or an
 * organization made read-only is said first, with the way to pay (owners).
 */
export function CurrentPlan({
  organizationId,
  subscription,
  canManage,
}: {
  organizationId: string;
  subscription: Subscription;
  canManage: boolean;
}) {
  const paid = subscription.tierId !== FREE_TIER_ID;
  const portal = usePortal(organizationId);
  const status = STATUS_LABELS[subscription.status];
  return (
    <section className="section" aria-labelledby="billing-plan-heading">
      <h2 id="billing-plan-heading">Current plan</h2>
      <PlanWarnings subscription={subscription} />
      <dl className="details">
        <dt>Plan</dt>
        <dd data-testid="billing-tier">{subscription.tierName}</dd>
        <dt>Status</dt>
        <dd>
          <span className={status.className}>{status.label}</span>
        </dd>
        {subscription.seats !== null ? (
          <>
            <dt>Seats</dt>
            <dd>{subscription.seats}</dd>
          </>
        ) : null}
        {subscription.interval ? (
          <>
            <dt>Billed</dt>
            <dd>{INTERVAL_LABELS[subscription.interval]}</dd>
          </>
        ) : null}
        {subscription.currentPeriodEnd ? (
          <>
            <dt>{subscription.cancelAtPeriodEnd ? 'Ends' : 'Renews'}</dt>
            <dd>
              <time dateTime={subscription.currentPeriodEnd}>{formatDate(subscription.currentPeriodEnd)}</time>
              {subscription.cancelAtPeriodEnd ? ' (cancels at period end, then the Free plan)' : null}
            </dd>
          </>
        ) : null}
        <dt>Projects</dt>
        <dd>{limitText(subscription.entitlements.maxProjects)}</dd>
        <dt>Members</dt>
        <dd>{limitText(subscription.entitlements.maxMembers)}</dd>
        <dt>Single sign-on</dt>
        <dd>{subscription.entitlements.ssoAllowed ? 'Included' : 'Not included'}</dd>
        <dt>Audit log kept</dt>
        <dd>{retentionText(subscription.entitlements.auditRetentionDays)}</dd>
      </dl>
      {subscription.billingConfigured && canManage && paid ? (
        <>
          <FormError error={portal.error} />
          <div className="actions billing-manage">
            <button
              type="button"
              className="button button-primary"
              disabled={portal.leaving}
              aria-busy={portal.leaving || undefined}
              onClick={() => portal.mutate()}
            >
              {portal.leaving ? 'Opening…' : 'Manage billing'}
            </button>
          </div>
          <p className="muted">
            Change the plan or the seats, the card, or cancel, on Stripe’s billing page: you come back here after.
          </p>
        </>
      ) : null}
    </section>
  );
}

/** Past due: when the grace period ends. Read-only: why writes are refused. */
function PlanWarnings({ subscription }: { subscription: Subscription }) {
  if (subscription.readOnly)
    return (
      <Notice kind="error">
        This organization is read-only until the subscription is paid. Members can still read everything; changes are
        refused.
      </Notice>
    );
  if (subscription.status !== 'past_due') return null;
  return (
    <div className="notice billing-warning" role="status" data-testid="billing-past-due">
      The last payment failed.{' '}
      {subscription.graceEndsAt ? (
        <>
          Pay by <time dateTime={subscription.graceEndsAt}>{formatDateTime(subscription.graceEndsAt)}</time>, or the
          organization becomes read-only.
        </>
      ) : (
        'Pay soon, or the organization becomes read-only.'
      )}
    </div>
  );
}
