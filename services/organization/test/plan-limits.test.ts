import { type EntitlementsChanged, EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { hashSecret } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { DirectoryUserSchema } from '../src/directory/entities.js';
import { applyDirectoryChanges } from '../src/directory-sync/service.js';
import { InviteSchema } from '../src/invites/entities.js';
import { acceptInvite, createInvite, resendInvite } from '../src/invites/service.js';
import { provisionMember, removeUserEverywhere } from '../src/members/service.js';
import { deleteOrganization } from '../src/organizations/service.js';
import {
  directoryUser,
  eventsOf,
  type OrganizationHarness,
  organizationWith,
  principalOf,
  refusal,
  rolesIn,
  tenantOf,
  useOrganization,
} from './harness.js';

/** The plan's member limit and read-only state (docs/design/billing-plan.md §4): only additions are checked. */
let h: OrganizationHarness;
useOrganization((started) => {
  h = started;
});

const upgradeUrl = (organizationId: string) => `http://localhost:8080/orgs/${organizationId}/billing`;

function planOf(
  organizationId: string,
  revision: number,
  maxMembers: number | null,
  readOnlyAfter: string | null = null,
): EntitlementsChanged {
  return {
    organizationId,
    revision,
    tierId: 'team',
    status: readOnlyAfter ? 'past_due' : 'active',
    entitlements: { maxProjects: null, maxMembers, ssoAllowed: true, auditRetentionDays: 90 },
    readOnlyAfter,
    upgradeUrl: upgradeUrl(organizationId),
  };
}

async function storedRevision(organizationId: string): Promise<number | null> {
  const rows = (await h
    .em()
    .execute('select revision from organization_entitlements where organization_id = ?', [organizationId])) as {
    revision: string;
  }[];
  return rows[0] ? Number(rows[0].revision) : null;
}

/** Publishes the plan and waits until the service has taken it in. */
async function publishPlan(plan: EntitlementsChanged) {
  await h.publish(EVENT_SUBJECTS.billingEntitlementsChanged, plan);
  await eventually(async () => expect(await storedRevision(plan.organizationId)).toBe(plan.revision));
}

/** An owner and one member, on a plan of `maxMembers` (no plan at all when undefined). */
async function teamOnPlan(maxMembers?: number | null) {
  const owner = await directoryUser(h, 'owner');
  const member = await directoryUser(h, 'member');
  const { organizationId } = await organizationWith(h, owner, [{ userId: member, role: 'member' }]);
  if (maxMembers !== undefined) await publishPlan(planOf(organizationId, 1, maxMembers));
  const tenant = await tenantOf(h, organizationId, owner);
  const invite = (email: string) => createInvite(h.ctx, tenant, { email, role: 'member' });
  return { organizationId, owner, member, tenant, invite };
}

/** A verified user the directory knows, with the address an invitation goes to. */
async function guest(name = 'guest') {
  const userId = await directoryUser(h, name);
  const { email } = await h.em().findOneOrFail(DirectoryUserSchema, { userId });
  return { userId, email };
}

/** Invites the guest and accepts as them, with the mailed token known to the test. */
async function inviteWithToken(invite: (email: string) => Promise<{ id: string }>, email: string) {
  const created = await invite(email);
  const token = `token-${newId()}`;
  await h.em().nativeUpdate(InviteSchema, { id: created.id }, { tokenHash: hashSecret(token) });
  return { inviteId: created.id, token };
}

const accept = (userId: string, token: string) => acceptInvite(h.ctx, principalOf(userId), token, newId());

describe('inviting at the member limit', () => {
  it('counts members and pending invitations: the one past the limit is refused with 403 PLAN_LIMIT_REACHED', async () => {
    const t = await teamOnPlan(3);
    await t.invite('first@example.test');
    expect(await refusal(t.invite('second@example.test'))).toEqual({
      code: 'PLAN_LIMIT_REACHED',
      resource: 'members',
      limit: 3,
      current: 3,
      upgradeUrl: upgradeUrl(t.organizationId),
    });
  });

  it('does not count an expired invitation, but renewing it needs a seat as a new one does', async () => {
    const t = await teamOnPlan(3);
    const expired = await t.invite('late@example.test');
    await h.em().nativeUpdate(InviteSchema, { id: expired.id }, { expiresAt: new Date(Date.now() - 1000) });
    const pending = await t.invite('fresh@example.test');
    expect(await refusal(resendInvite(h.ctx, t.tenant, expired.id))).toMatchObject({
      code: 'PLAN_LIMIT_REACHED',
      current: 3,
    });
    // A pending invitation already holds its seat: sending it again is fine.
    expect(await resendInvite(h.ctx, t.tenant, pending.id)).toMatchObject({ id: pending.id, status: 'pending' });
  });

  it('applies no limit on an unlimited plan, or when the plan is unknown and billing cannot answer', async () => {
    for (const maxMembers of [null, undefined]) {
      const t = await teamOnPlan(maxMembers);
      for (const n of [1, 2, 3]) await t.invite(`p${n}@example.test`);
    }
  });
});

describe('accepting an invitation', () => {
  it('joins within the limit', async () => {
    const t = await teamOnPlan(3);
    const g = await guest();
    const { token } = await inviteWithToken(t.invite, g.email);
    expect(await accept(g.userId, token)).toMatchObject({ organizationId: t.organizationId, userId: g.userId });
  });

  it('is refused with 403 PLAN_LIMIT_REACHED once the members fill the plan (a downgrade since the invitation)', async () => {
    const t = await teamOnPlan(3);
    const g = await guest();
    const { inviteId, token } = await inviteWithToken(t.invite, g.email);
    await publishPlan(planOf(t.organizationId, 2, 2));
    expect(await refusal(accept(g.userId, token))).toEqual({
      code: 'PLAN_LIMIT_REACHED',
      resource: 'members',
      limit: 2,
      current: 2,
      upgradeUrl: upgradeUrl(t.organizationId),
    });
    expect((await rolesIn(h, t.organizationId))[g.userId]).toBeUndefined();
    expect(await h.em().findOneOrFail(InviteSchema, { id: inviteId })).toMatchObject({ acceptedAt: null });
  });

  it('is refused with 403 SUBSCRIPTION_INACTIVE in a read-only organization', async () => {
    const t = await teamOnPlan(10);
    const g = await guest();
    const { token } = await inviteWithToken(t.invite, g.email);
    const since = new Date(Date.now() - 60_000).toISOString();
    await publishPlan(planOf(t.organizationId, 2, 10, since));
    expect(await refusal(accept(g.userId, token))).toEqual({
      code: 'SUBSCRIPTION_INACTIVE',
      organizationId: t.organizationId,
      readOnlySince: since,
      upgradeUrl: upgradeUrl(t.organizationId),
    });
  });

  it('still works while the grace period runs (read-only only after it)', async () => {
    const t = await teamOnPlan(10);
    const g = await guest();
    const { token } = await inviteWithToken(t.invite, g.email);
    await publishPlan(planOf(t.organizationId, 2, 10, new Date(Date.now() + 86_400_000).toISOString()));
    expect(await accept(g.userId, token)).toMatchObject({ userId: g.userId });
  });
});

describe('SSO provisioning (provisionMember)', () => {
  it('answers PLAN_LIMIT_REACHED for a new member past the limit, and still changes an existing one', async () => {
    const t = await teamOnPlan(2);
    const newcomer = newId();
    expect(
      await provisionMember(h.ctx, { organizationId: t.organizationId, userId: newcomer, role: 'member' }),
    ).toEqual({ ok: false, reason: 'PLAN_LIMIT_REACHED' });
    expect((await rolesIn(h, t.organizationId))[newcomer]).toBeUndefined();
    expect(await provisionMember(h.ctx, { organizationId: t.organizationId, userId: t.member, role: 'admin' })).toEqual(
      {
        ok: true,
        role: 'admin',
      },
    );
  });

  it('answers SUBSCRIPTION_INACTIVE for a new member of a read-only organization, before the limit, writing nothing', async () => {
    // Full as well as read-only: the answer names the read-only state, which is checked first.
    const t = await teamOnPlan(2);
    await publishPlan(planOf(t.organizationId, 2, 2, new Date(Date.now() - 60_000).toISOString()));
    const events = await eventsOf(h, t.organizationId);
    const newcomer = newId();
    const request = {
      organizationId: t.organizationId,
      userId: newcomer,
      role: 'member' as const,
      email: 'newcomer@example.test',
      name: 'Newcomer',
    };
    expect(await provisionMember(h.ctx, request)).toEqual({ ok: false, reason: 'SUBSCRIPTION_INACTIVE' });
    expect((await rolesIn(h, t.organizationId))[newcomer]).toBeUndefined();
    expect(await h.em().findOne(DirectoryUserSchema, { userId: newcomer })).toBeNull();
    expect(await eventsOf(h, t.organizationId)).toEqual(events);
  });

  it('lets an existing member of a read-only organization sign in, with its role unchanged or changed', async () => {
    const t = await teamOnPlan(10);
    await publishPlan(planOf(t.organizationId, 2, 10, new Date(Date.now() - 60_000).toISOString()));
    const signIn = (role: 'member' | 'admin') =>
      provisionMember(h.ctx, { organizationId: t.organizationId, userId: t.member, role });
    expect(await signIn('member')).toEqual({ ok: true, role: 'member' });
    expect(await signIn('admin')).toEqual({ ok: true, role: 'admin' });
    expect((await rolesIn(h, t.organizationId))[t.member]).toBe('admin');
  });

  it('adds a new member within the limit', async () => {
    const t = await teamOnPlan(3);
    const newcomer = newId();
    expect(
      await provisionMember(h.ctx, { organizationId: t.organizationId, userId: newcomer, role: 'member' }),
    ).toEqual({ ok: true, role: 'member' });
  });
});

describe('a directory sync (directory.memberships_changed)', () => {
  it('adds no one to a read-only organization, and still applies the removals', async () => {
    const t = await teamOnPlan(10);
    await publishPlan(planOf(t.organizationId, 2, 10, new Date(Date.now() - 60_000).toISOString()));
    const events = await eventsOf(h, t.organizationId);
    const newcomer = newId();
    const person = (userId: string) => ({ userId, email: `${userId.toLowerCase()}@acme.example`, name: 'Someone' });
    await h.em().transactional((em) =>
      applyDirectoryChanges(h.ctx, em, {
        directoryId: newId(),
        organizationId: t.organizationId,
        changes: [
          { ...person(newcomer), role: 'member' },
          { ...person(t.member), role: null },
        ],
      }),
    );
    expect(await rolesIn(h, t.organizationId)).toEqual({ [t.owner]: 'owner' });
    expect((await eventsOf(h, t.organizationId)).slice(events.length)).toEqual([
      {
        subject: EVENT_SUBJECTS.memberRemoved,
        data: { organizationId: t.organizationId, userId: t.member, role: 'member' },
      },
    ]);
    // The person skipped is not kept in the member directory either.
    expect(await h.em().findOne(DirectoryUserSchema, { userId: newcomer })).toBeNull();
  });
});

describe("an organization's deletion", () => {
  it('forgets its plan, whether an owner deletes it or its last member is deleted', async () => {
    const t = await teamOnPlan(5);
    await deleteOrganization(h.ctx, t.tenant, newId());
    expect(await storedRevision(t.organizationId)).toBeNull();

    const alone = await directoryUser(h, 'alone');
    const { organizationId } = await organizationWith(h, alone);
    await publishPlan(planOf(organizationId, 1, 5));
    await h.em().transactional((em) => removeUserEverywhere(em, alone));
    expect(await storedRevision(organizationId)).toBeNull();
  });
});
