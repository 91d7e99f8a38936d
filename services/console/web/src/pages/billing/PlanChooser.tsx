import { type FormEvent, useId, useState } from 'react';
import { codeOf, fieldErrorsOf, messageOf } from '../../api/errors';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, SubmitButton } from '../../components/forms';
import { useCheckout } from './billing-actions';
import {
  type BillingInterval,
  FREE_TIER_ID,
  MAX_SEATS,
  type Subscription,
  type Tier,
  useMemberCount,
  usePlans,
} from './billing-api';
import { INTERVAL_LABELS, tierSummary } from './format';

/**
 * The tiers of this deployment. An owner of an organization on the free tier picks one, the
 * billing period and (seat-based tiers) the seats, and goes to Stripe's checkout; a paid plan is
 * changed in Manage billing instead.
 */
export function PlanChooser({
  organizationId,
  subscription,
  canManage,
}: {
  organizationId: string;
  subscription: Subscription;
  canManage: boolean;
}) {
  const plans = usePlans();
  const choosing = canManage && subscription.billingConfigured && subscription.tierId === FREE_TIER_ID;
  return (
    <section className="section" aria-labelledby="billing-plans-heading">
      <h2 id="billing-plans-heading">Plans</h2>
      {plans.isPending ? (
        <Loading what="Loading the plans" />
      ) : plans.isError ? (
        <LoadError error={plans.error} retry={() => plans.refetch()} />
      ) : choosing ? (
        <UpgradeForm organizationId={organizationId} tiers={plans.data.filter((tier) => tier.intervals.length > 0)} />
      ) : (
        <>
          <TierList tiers={plans.data} currentTierId={subscription.tierId} />
          {!subscription.billingConfigured ? null : !canManage ? (
            <p className="muted">Only owners change the plan.</p>
          ) : (
            <p className="muted">To change the plan or the seats, use Manage billing above.</p>
          )}
        </>
      )}
    </section>
  );
}

function TierList({ tiers, currentTierId }: { tiers: Tier[]; currentTierId: string }) {
  return (
    <ul className="billing-tiers">
      {tiers.map((tier) => (
        <li key={tier.id}>
          <strong>{tier.name}</strong>
          {tier.id === currentTierId ? <span className="badge badge-success">Current plan</span> : null}
          <span className="muted billing-tier-summary">{tierSummary(tier)}</span>
        </li>
      ))}
    </ul>
  );
}

function UpgradeForm({ organizationId, tiers }: { organizationId: string; tiers: Tier[] }) {
  const id = useId();
  const members = useMemberCount(organizationId);
  const checkout = useCheckout(organizationId);
  const [tierId, setTierId] = useState(tiers[0]?.id ?? '');
  const [interval, setChosenInterval] = useState<BillingInterval>('month');
  const [seatProblem, setSeatProblem] = useState<string | null>(null);
  const tier = tiers.find((candidate) => candidate.id === tierId);
  if (tiers.length === 0) return <Notice kind="info">This deployment offers no paid plan.</Notice>;
  if (members.isPending) return <Loading what="Counting the members" />;
  if (members.isError) return <LoadError error={members.error} retry={() => members.refetch()} />;
  const memberCount = Math.max(1, members.data);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!tier) return;
    const chosenInterval = tier.intervals.includes(interval) ? interval : (tier.intervals[0] ?? 'month');
    if (!tier.seatBased) return checkout.mutate({ tierId: tier.id, interval: chosenInterval });
    const seats = Number(new FormData(event.currentTarget).get('seatCount'));
    if (!Number.isInteger(seats) || seats < memberCount || seats > MAX_SEATS) {
      setSeatProblem(`must be a whole number from ${memberCount} to ${MAX_SEATS}`);
      return;
    }
    setSeatProblem(null);
    checkout.mutate({ tierId: tier.id, interval: chosenInterval, seatCount: seats });
  };

  const errors = fieldErrorsOf(checkout.error);
  const seatError = seatProblem ?? errors.seatCount;
  return (
    <form onSubmit={submit} noValidate>
      {errors.seatCount ? null : <CheckoutError error={checkout.error} />}
      <fieldset>
        <legend>Plan</legend>
        {tiers.map((candidate) => (
          <div key={candidate.id} className="billing-choice">
            <label className="checkbox">
              <input
                type="radio"
                name="tierId"
                value={candidate.id}
                checked={candidate.id === tierId}
                aria-describedby={`${id}-${candidate.id}`}
                onChange={() => setTierId(candidate.id)}
              />
              {candidate.name}
            </label>
            <span className="field-hint" id={`${id}-${candidate.id}`}>
              {tierSummary(candidate)}
            </span>
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>Billing period</legend>
        {(tier?.intervals ?? []).map((option) => (
          <label className="checkbox" key={option}>
            <input
              type="radio"
              name="interval"
              value={option}
              checked={option === interval}
              onChange={() => setChosenInterval(option)}
            />
            {INTERVAL_LABELS[option]}
          </label>
        ))}
      </fieldset>
      {tier?.seatBased ? (
        <Field
          name="seatCount"
          label="Seats"
          type="number"
          inputMode="numeric"
          min={memberCount}
          max={MAX_SEATS}
          step={1}
          required
          defaultValue={memberCount}
          className="billing-seats"
          hint={`One per member. At least ${memberCount}: the organization has ${memberCount} member${memberCount === 1 ? '' : 's'} now.`}
          error={seatError}
        />
      ) : null}
      <div className="actions">
        <SubmitButton pending={checkout.leaving}>Upgrade</SubmitButton>
      </div>
      <p className="muted">You pay on Stripe’s checkout page, then come back here.</p>
    </form>
  );
}

/** A deployment without Stripe keys says so in words, not as an outage. */
function CheckoutError({ error }: { error: unknown }) {
  if (!error) return null;
  const message =
    codeOf(error) === 'BILLING_NOT_CONFIGURED' ? 'Billing is not configured on this deployment.' : messageOf(error);
  return (
    <div className="notice notice-error" role="alert">
      {message}
    </div>
  );
}
