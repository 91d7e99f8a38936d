import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingHarness, createOrganization, sql, startBilling, streamEvents } from './harness.js';

let h: BillingHarness;
beforeAll(async () => {
  h = await startBilling();
});
afterAll(() => h.close());

/** An organization on Pro whose payment is owed, its grace period ending `endsInMs` from now. */
async function owingOrganization(name: string, endsInMs: number): Promise<string> {
  const { organizationId } = await createOrganization(h, name);
  await sql(
    h,
    `update billing_accounts set subscription_id = ?, tier_id = 'pro', status = 'past_due', seats = 2,
       past_due_since = now() - interval '8 days', read_only_after = now() + make_interval(secs => ? / 1000.0)
     where organization_id = ?`,
    [`sub_${organizationId}`, endsInMs, organizationId],
  );
  return organizationId;
}

const readOnlyActivities = async (organizationId: string) =>
  (await streamEvents(h, EVENT_SUBJECTS.billingActivity)).filter(
    (event) => event.data.organizationId === organizationId && event.data.action === 'subscription.read_only',
  );

const recorded = async (organizationId: string) =>
  (
    await sql<{ read_only_recorded: boolean }>(
      h,
      'select read_only_recorded from billing_accounts where organization_id = ?',
      [organizationId],
    )
  )[0]?.read_only_recorded;

describe('the grace sweep', () => {
  it('records subscription.read_only once when the grace period ends, and not before', async () => {
    const later = await owingOrganization('Still In Grace', 3_600_000);
    const ended = await owingOrganization('Out Of Grace', -1000);

    const [activity] = await eventually(async () => {
      const activities = await readOnlyActivities(ended);
      expect(activities).toHaveLength(1);
      return activities;
    }, 10_000);
    expect(activity?.data).toMatchObject({
      action: 'subscription.read_only',
      organizationId: ended,
      userId: null,
      actor: { type: 'system', id: 'billing' },
      target: { type: 'subscription', id: `sub_${ended}`, name: 'Pro' },
      outcome: 'success',
    });
    expect(await recorded(ended)).toBe(true);

    // Another organization's grace ending later proves the sweep passed again meanwhile: still one record.
    const next = await owingOrganization('Out Of Grace Too', -1000);
    await eventually(async () => expect(await readOnlyActivities(next)).toHaveLength(1), 10_000);
    expect(await readOnlyActivities(ended)).toHaveLength(1);
    expect(await readOnlyActivities(later)).toHaveLength(0);
    expect(await recorded(later)).toBe(false);
  });
});
