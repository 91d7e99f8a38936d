import { EVENT_SUBJECTS, newId, type Role } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { changeRole, removeMember } from '../src/members/service.js';
import {
  directoryUser,
  eventsOf,
  memberIdOf,
  type OrganizationHarness,
  organizationWith,
  refusal,
  rolesIn,
  tenantOf,
  useOrganization,
} from './harness.js';

let h: OrganizationHarness;
useOrganization((started) => {
  h = started;
});

/** An organization with one of each role, plus an unverified admin. */
async function team() {
  const owner = await directoryUser(h, 'owner');
  const admin = await directoryUser(h, 'admin');
  const member = await directoryUser(h, 'member');
  const unverifiedAdmin = await directoryUser(h, 'unverified', false);
  const { organizationId } = await organizationWith(h, owner, [
    { userId: admin, role: 'admin' },
    { userId: member, role: 'member' },
    { userId: unverifiedAdmin, role: 'admin' },
  ]);
  const change = async (actor: string, target: string, role: Role) =>
    changeRole(
      h.ctx,
      await tenantOf(h, organizationId, actor),
      await memberIdOf(h, organizationId, target),
      role,
      newId(),
    );
  const remove = async (actor: string, target: string) =>
    removeMember(h.ctx, await tenantOf(h, organizationId, actor), await memberIdOf(h, organizationId, target), newId());
  return { organizationId, owner, admin, member, unverifiedAdmin, change, remove };
}

const ownerOnly = { code: 'INSUFFICIENT_PERMISSIONS', requiredRole: 'owner' };
const managersOnly = { code: 'INSUFFICIENT_PERMISSIONS', requiredPermission: 'organization:manage-members' };
const lastOwner = { code: 'CONFLICT', reason: 'LAST_OWNER' };

describe('changing a role', () => {
  it('lets an owner make anyone owner, and records the change', async () => {
    const t = await team();
    expect(await t.change(t.owner, t.member, 'owner')).toMatchObject({ userId: t.member, role: 'owner' });
    expect((await rolesIn(h, t.organizationId))[t.member]).toBe('owner');
    expect((await eventsOf(h, t.organizationId)).at(-1)).toEqual({
      subject: EVENT_SUBJECTS.memberRoleChanged,
      data: { organizationId: t.organizationId, userId: t.member, role: 'owner', previousRole: 'member' },
    });
  });

  it('lets an admin move members and admins between member and admin, itself included', async () => {
    const t = await team();
    await t.change(t.admin, t.member, 'admin');
    await t.change(t.admin, t.member, 'member');
    await t.change(t.admin, t.admin, 'member');
    expect(await rolesIn(h, t.organizationId)).toMatchObject({ [t.member]: 'member', [t.admin]: 'member' });
  });

  it('refuses an admin making an owner, or touching an owner', async () => {
    const t = await team();
    expect(await refusal(t.change(t.admin, t.member, 'owner'))).toMatchObject(ownerOnly);
    expect(await refusal(t.change(t.admin, t.admin, 'owner'))).toMatchObject(ownerOnly);
    expect(await refusal(t.change(t.admin, t.owner, 'member'))).toMatchObject(ownerOnly);
    expect((await rolesIn(h, t.organizationId))[t.owner]).toBe('owner');
  });

  it('refuses a member changing anyone, itself included', async () => {
    const t = await team();
    expect(await refusal(t.change(t.member, t.member, 'admin'))).toMatchObject(managersOnly);
    expect(await refusal(t.change(t.member, t.admin, 'member'))).toMatchObject(managersOnly);
  });

  it('refuses a manager whose email is not verified', async () => {
    const t = await team();
    expect(await refusal(t.change(t.unverifiedAdmin, t.member, 'admin'))).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
  });

  it('keeps the last owner, but lets one of two owners step down', async () => {
    const t = await team();
    expect(await refusal(t.change(t.owner, t.owner, 'admin'))).toEqual(lastOwner);
    await t.change(t.owner, t.admin, 'owner');
    await t.change(t.owner, t.owner, 'admin');
    expect(await rolesIn(h, t.organizationId)).toMatchObject({ [t.owner]: 'admin', [t.admin]: 'owner' });
    expect(await refusal(t.change(t.admin, t.admin, 'member'))).toEqual(lastOwner);
  });

  it('changes nothing and records nothing when the role is already that', async () => {
    const t = await team();
    const before = await eventsOf(h, t.organizationId);
    expect(await t.change(t.admin, t.member, 'member')).toMatchObject({ role: 'member' });
    expect(await eventsOf(h, t.organizationId)).toEqual(before);
  });

  it('answers 404 to outsiders and for members of another organization', async () => {
    const t = await team();
    const outsider = await directoryUser(h, 'outsider');
    expect(await refusal(t.change(outsider, t.member, 'admin'))).toEqual({ code: 'NOT_FOUND' });
    const other = await organizationWith(h, outsider);
    const foreignMember = await memberIdOf(h, other.organizationId, outsider);
    const changed = changeRole(h.ctx, await tenantOf(h, t.organizationId, t.owner), foreignMember, 'admin', newId());
    expect(await refusal(changed)).toEqual({ code: 'NOT_FOUND' });
  });
});

describe('removing a member', () => {
  it('lets anyone leave, unverified too, except the last owner', async () => {
    const t = await team();
    await t.remove(t.member, t.member);
    await t.remove(t.unverifiedAdmin, t.unverifiedAdmin);
    expect(await refusal(t.remove(t.owner, t.owner))).toEqual(lastOwner);
    expect(Object.keys(await rolesIn(h, t.organizationId)).sort()).toEqual([t.owner, t.admin].sort());
    expect((await eventsOf(h, t.organizationId)).at(-1)).toEqual({
      subject: EVENT_SUBJECTS.memberRemoved,
      data: { organizationId: t.organizationId, userId: t.unverifiedAdmin, role: 'admin' },
    });
  });

  it('lets verified managers remove members and admins, and only owners remove owners', async () => {
    const t = await team();
    expect(await refusal(t.remove(t.member, t.admin))).toMatchObject(managersOnly);
    expect(await refusal(t.remove(t.unverifiedAdmin, t.member))).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
    expect(await refusal(t.remove(t.admin, t.owner))).toMatchObject({
      code: 'INSUFFICIENT_PERMISSIONS',
      requiredRole: 'owner',
    });
    await t.remove(t.admin, t.member);
    await t.remove(t.owner, t.unverifiedAdmin);
    expect(Object.keys(await rolesIn(h, t.organizationId)).sort()).toEqual([t.owner, t.admin].sort());
  });

  it('lets an owner remove another owner while one remains', async () => {
    const t = await team();
    await t.change(t.owner, t.admin, 'owner');
    await t.remove(t.owner, t.admin);
    expect(await refusal(t.remove(t.owner, t.owner))).toEqual(lastOwner);
  });
});
