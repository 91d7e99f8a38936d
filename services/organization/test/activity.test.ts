import { EVENT_SUBJECTS, type EventContext, newId } from '@gatehouse/contracts';
import { hashSecret, withEventContext } from '@gatehouse/service-kit';
import { describe, expect, it } from 'vitest';
import { InviteSchema } from '../src/invites/entities.js';
import { acceptInvite, createInvite, revokeInvite } from '../src/invites/service.js';
import { changeRole } from '../src/members/service.js';
import { updateOrganization } from '../src/organizations/service.js';
import {
  directoryUser,
  memberIdOf,
  type OrganizationHarness,
  organizationWith,
  principalOf,
  tenantOf,
  useOrganization,
} from './harness.js';

let h: OrganizationHarness;
useOrganization((started) => {
  h = started;
});

/** The request a route handler would serve: service-kit runs the handler inside it. */
function requestOf(userId: string): EventContext {
  return {
    actor: { type: 'user', id: userId },
    ip: '203.0.113.9',
    userAgent: 'activity-test/1.0',
    requestId: `req_${newId()}`,
  };
}

interface OutboxRow {
  subject: string;
  payload: { data: Record<string, unknown>; context?: EventContext; requestId?: string };
}

/** The outbox rows of one organization, in order, with the context each carries. */
async function outboxOf(organizationId: string) {
  const rows: OutboxRow[] = await h
    .em()
    .execute(`select subject, payload from outbox_events where payload->'data'->>'organizationId' = ? order by id`, [
      organizationId,
    ]);
  return rows.map(({ subject, payload }) => ({ subject, data: payload.data, context: payload.context }));
}

async function team() {
  const owner = await directoryUser(h, 'owner');
  const member = await directoryUser(h, 'member');
  const { organizationId } = await organizationWith(h, owner, [{ userId: member, role: 'member' }]);
  return { owner, member, organizationId };
}

describe('before and after on domain events', () => {
  it('member.role_changed names the role before, with the request that changed it', async () => {
    const t = await team();
    const request = requestOf(t.owner);
    await withEventContext(request, async () =>
      changeRole(
        h.ctx,
        await tenantOf(h, t.organizationId, t.owner),
        await memberIdOf(h, t.organizationId, t.member),
        'admin',
        request.requestId ?? '',
      ),
    );
    expect((await outboxOf(t.organizationId)).at(-1)).toEqual({
      subject: EVENT_SUBJECTS.memberRoleChanged,
      data: { organizationId: t.organizationId, userId: t.member, role: 'admin', previousRole: 'member' },
      context: request,
    });
  });

  it('organization.updated names the name and slug before', async () => {
    const t = await team();
    const request = requestOf(t.owner);
    const slug = `renamed-${newId().toLowerCase()}`;
    const before = await h.em().execute(`select name, slug from organizations where id = ?`, [t.organizationId]);
    await withEventContext(request, async () =>
      updateOrganization(h.ctx, await tenantOf(h, t.organizationId, t.owner), { name: 'Renamed', slug }, 'r'),
    );
    expect((await outboxOf(t.organizationId)).at(-1)).toMatchObject({
      subject: EVENT_SUBJECTS.organizationUpdated,
      data: { organizationId: t.organizationId, name: 'Renamed', slug, previous: before[0] },
      context: request,
    });
  });
});

describe('invitation activity', () => {
  it('records created, revoked and accepted in the transaction of each, with target, changes and context', async () => {
    const t = await team();
    const guest = await directoryUser(h, 'guest');
    const [guestRow] = await h.em().execute(`select email from directory_users where user_id = ?`, [guest]);
    const email = guestRow?.email as string;
    const byOwner = requestOf(t.owner);
    const tenant = await tenantOf(h, t.organizationId, t.owner);

    const first = await withEventContext(byOwner, () => createInvite(h.ctx, tenant, { email, role: 'admin' }));
    await withEventContext(byOwner, () => revokeInvite(h.ctx, tenant, first.id));
    const second = await withEventContext(byOwner, () => createInvite(h.ctx, tenant, { email, role: 'member' }));
    // The mailed token, known to the test.
    await h.em().nativeUpdate(InviteSchema, { id: second.id }, { tokenHash: hashSecret('the-mailed-token') });
    const byGuest = requestOf(guest);
    await withEventContext(byGuest, () =>
      acceptInvite(h.ctx, principalOf(guest), 'the-mailed-token', byGuest.requestId ?? ''),
    );

    const activity = (await outboxOf(t.organizationId)).filter(
      (row) => row.subject === EVENT_SUBJECTS.organizationActivity,
    );
    const invitation = (id: string) => ({ type: 'invitation', id, name: email });
    const common = { organizationId: t.organizationId, outcome: 'success' };
    expect(activity).toEqual([
      {
        subject: EVENT_SUBJECTS.organizationActivity,
        data: {
          ...common,
          action: 'invitation.created',
          userId: t.owner,
          target: invitation(first.id),
          changes: { role: { after: 'admin' } },
        },
        context: byOwner,
      },
      {
        subject: EVENT_SUBJECTS.organizationActivity,
        data: {
          ...common,
          action: 'invitation.revoked',
          userId: t.owner,
          target: invitation(first.id),
          changes: { role: { before: 'admin' } },
        },
        context: byOwner,
      },
      {
        subject: EVENT_SUBJECTS.organizationActivity,
        data: {
          ...common,
          action: 'invitation.created',
          userId: t.owner,
          target: invitation(second.id),
          changes: { role: { after: 'member' } },
        },
        context: byOwner,
      },
      {
        subject: EVENT_SUBJECTS.organizationActivity,
        data: {
          ...common,
          action: 'invitation.accepted',
          userId: guest,
          target: invitation(second.id),
          changes: { role: { after: 'member' } },
        },
        context: byGuest,
      },
    ]);
  });

  it('records nothing when the change is refused (the activity commits with it, or not at all)', async () => {
    const t = await team();
    const tenant = await tenantOf(h, t.organizationId, t.owner);
    await expect(revokeInvite(h.ctx, tenant, newId())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const [memberRow] = await h.em().execute(`select email from directory_users where user_id = ?`, [t.member]);
    await expect(createInvite(h.ctx, tenant, { email: memberRow?.email, role: 'member' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const activity = (await outboxOf(t.organizationId)).filter(
      (row) => row.subject === EVENT_SUBJECTS.organizationActivity,
    );
    expect(activity).toEqual([]);
  });
});
