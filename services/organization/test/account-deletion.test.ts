import { EVENT_SUBJECTS, type EventEnvelope, newId } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { userEventHandlers } from '../src/consumers.js';
import { DirectoryUserSchema } from '../src/directory/entities.js';
import { InviteSchema } from '../src/invites/entities.js';
import { MemberSchema, OrganizationSchema } from '../src/organizations/entities.js';
import {
  directoryUser,
  eventsOf,
  type OrganizationHarness,
  organizationWith,
  rolesIn,
  useOrganization,
} from './harness.js';

let h: OrganizationHarness;
useOrganization((started) => {
  h = started;
});

/** What the consumer does with identity's user.deleted, in one transaction as the consumer runs it. */
async function accountDeleted(userId: string) {
  const event: EventEnvelope<typeof EVENT_SUBJECTS.userDeleted> = {
    id: newId(),
    type: EVENT_SUBJECTS.userDeleted,
    occurredAt: new Date().toISOString(),
    version: 1,
    data: { userId },
  };
  await h.em().transactional((em) => userEventHandlers[EVENT_SUBJECTS.userDeleted]!(event, em));
}

describe('an account deleted (user.deleted)', () => {
  it('makes the longest-standing remaining member owner when the last owner goes, whatever their role', async () => {
    const owner = await directoryUser(h, 'owner');
    const firstMember = await directoryUser(h, 'first');
    const laterAdmin = await directoryUser(h, 'later');
    const { organizationId } = await organizationWith(h, owner, [
      { userId: firstMember, role: 'member' },
      { userId: laterAdmin, role: 'admin' },
    ]);
    await accountDeleted(owner);
    expect(await rolesIn(h, organizationId)).toEqual({ [firstMember]: 'owner', [laterAdmin]: 'admin' });
    expect((await eventsOf(h, organizationId)).slice(-2)).toEqual([
      { subject: EVENT_SUBJECTS.memberRemoved, data: { organizationId, userId: owner, role: 'owner' } },
      {
        subject: EVENT_SUBJECTS.memberRoleChanged,
        data: { organizationId, userId: firstMember, role: 'owner', previousRole: 'member' },
      },
    ]);
  });

  it('promotes no one while another owner remains', async () => {
    const owner = await directoryUser(h, 'owner');
    const coOwner = await directoryUser(h, 'co-owner');
    const member = await directoryUser(h, 'member');
    const { organizationId } = await organizationWith(h, owner, [
      { userId: member, role: 'member' },
      { userId: coOwner, role: 'owner' },
    ]);
    await accountDeleted(owner);
    expect(await rolesIn(h, organizationId)).toEqual({ [coOwner]: 'owner', [member]: 'member' });
    expect((await eventsOf(h, organizationId)).at(-1)?.subject).toBe(EVENT_SUBJECTS.memberRemoved);
  });

  it('breaks a tie of joining times by the member id', async () => {
    const owner = await directoryUser(h, 'owner');
    const a = await directoryUser(h, 'a');
    const b = await directoryUser(h, 'b');
    const { organizationId, memberIds } = await organizationWith(h, owner, [
      { userId: a, role: 'member' },
      { userId: b, role: 'member' },
    ]);
    const em = h.em();
    await em.nativeUpdate(MemberSchema, { organizationId, userId: { $in: [a, b] } }, { joinedAt: new Date() });
    await accountDeleted(owner);
    const heir = memberIds[a]! < memberIds[b]! ? a : b;
    expect((await rolesIn(h, organizationId))[heir]).toBe('owner');
  });

  it('deletes an organization left empty, with its invitations', async () => {
    const owner = await directoryUser(h, 'alone');
    const { organizationId } = await organizationWith(h, owner);
    const em = h.em();
    em.create(InviteSchema, {
      id: newId(),
      organizationId,
      email: 'someone@example.test',
      role: 'member',
      tokenHash: newId(),
      invitedByUserId: owner,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
      acceptedAt: null,
      acceptedByUserId: null,
    });
    await em.flush();
    await accountDeleted(owner);
    const check = h.em();
    expect(await check.findOne(OrganizationSchema, { id: organizationId })).toBeNull();
    expect(await check.count(InviteSchema, { organizationId })).toBe(0);
    expect((await eventsOf(h, organizationId)).at(-1)).toMatchObject({
      subject: EVENT_SUBJECTS.organizationDeleted,
      data: { organizationId, name: 'Acme' },
    });
  });

  it('leaves every organization and forgets the user, and a repeated event changes nothing more', async () => {
    const user = await directoryUser(h, 'everywhere');
    const other = await directoryUser(h, 'other');
    const mine = await organizationWith(h, user, [{ userId: other, role: 'member' }]);
    const theirs = await organizationWith(h, other, [{ userId: user, role: 'admin' }]);
    await accountDeleted(user);
    await accountDeleted(user);
    expect(await rolesIn(h, mine.organizationId)).toEqual({ [other]: 'owner' });
    expect(await rolesIn(h, theirs.organizationId)).toEqual({ [other]: 'owner' });
    expect(await h.em().findOne(DirectoryUserSchema, { userId: user })).toBeNull();
  });
});
