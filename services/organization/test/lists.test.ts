import { newId } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { InviteSchema } from '../src/invites/entities.js';
import { listInvites } from '../src/invites/service.js';
import { listMembers } from '../src/members/service.js';
import { createOrganization, listOrganizations } from '../src/organizations/service.js';
import {
  directoryUser,
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

const page = { offset: 0, limit: 20 };

/** Follows nextCursor to the end, two at a time. */
async function walk<T>(
  list: (query: typeof page & { cursor?: string }) => Promise<{ items: T[]; meta: { nextCursor?: string | null } }>,
) {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await list({ offset: 0, limit: 2, ...(cursor ? { cursor } : {}) });
    items.push(...next.items);
    cursor = next.meta.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

describe("organization's lists", () => {
  it('lists the caller’s organizations with their role, searched, sorted and walked by cursor', async () => {
    const user = await directoryUser(h, 'lister');
    const names = ['Zeta', 'alpha', 'Beta 100%', 'gamma'];
    for (const name of names) await createOrganization(h.ctx, principalOf(user), { name }, newId());
    const someoneElse = await directoryUser(h, 'stranger');
    await createOrganization(h.ctx, principalOf(someoneElse), { name: 'alpha too' }, newId());

    const all = await listOrganizations(h.ctx, principalOf(user), { ...page, sort: 'createdAt' });
    expect(all.items.map((org) => org.name)).toEqual(names);
    expect(all.items.every((org) => org.role === 'owner')).toBe(true);
    expect(all.meta).toMatchObject({ total: 4, hasMore: false, nextCursor: null });

    const walked = await walk((query) => listOrganizations(h.ctx, principalOf(user), { ...query, sort: '-createdAt' }));
    expect(walked.map((org) => org.name)).toEqual([...names].reverse());

    const searched = await listOrganizations(h.ctx, principalOf(user), { ...page, q: '0%' });
    expect(searched.items.map((org) => org.name)).toEqual(['Beta 100%']);

    // A key pinned to one organization sees only that one.
    const pinned = { ...principalOf(user), organizationId: all.items[1]!.id };
    expect((await listOrganizations(h.ctx, pinned, page)).items.map((org) => org.name)).toEqual(['alpha']);
  });

  it('lists members with the directory’s names, searchable by name or email', async () => {
    const owner = await directoryUser(h, 'boss');
    const ada = await directoryUser(h, 'ada');
    const bob = await directoryUser(h, 'bob');
    const { organizationId } = await organizationWith(h, owner, [
      { userId: ada, role: 'admin' },
      { userId: bob, role: 'member' },
    ]);
    const tenant = await tenantOf(h, organizationId, owner);
    const walked = await walk((query) => listMembers(h.ctx, tenant, query));
    expect(walked.map((member) => [member.name, member.role])).toEqual([
      ['boss', 'owner'],
      ['ada', 'admin'],
      ['bob', 'member'],
    ]);
    const newest = await listMembers(h.ctx, tenant, { ...page, sort: '-joinedAt', limit: 1 });
    expect(newest.items[0]?.name).toBe('bob');
    expect(newest.meta).toMatchObject({ total: 3, hasMore: true });
    expect((await listMembers(h.ctx, tenant, { ...page, q: 'ADA-' })).items.map((m) => m.name)).toEqual(['ada']);
  });

  it('lists pending invitations, searched by email, sorted both ways and walked by cursor', async () => {
    const owner = await directoryUser(h, 'inviter');
    const { organizationId } = await organizationWith(h, owner);
    const em = h.em();
    const emails = ['a_1@example.test', 'ax1@example.test', 'b@example.test', 'accepted@example.test'];
    emails.forEach((email, index) => {
      em.create(InviteSchema, {
        id: newId(),
        organizationId,
        email,
        role: 'member',
        tokenHash: newId(),
        invitedByUserId: owner,
        createdAt: new Date(Date.UTC(2026, 0, 1, index)),
        expiresAt: new Date(Date.now() + 3600_000),
        acceptedAt: email.startsWith('accepted') ? new Date() : null,
        acceptedByUserId: null,
      });
    });
    await em.flush();
    const tenant = await tenantOf(h, organizationId, owner);
    const pending = emails.slice(0, 3);
    expect((await walk((query) => listInvites(h.ctx, tenant, query))).map((i) => i.email)).toEqual(
      [...pending].reverse(),
    );
    const oldest = await listInvites(h.ctx, tenant, { ...page, sort: 'createdAt' });
    expect(oldest.items.map((invite) => invite.email)).toEqual(pending);
    expect(oldest.meta.total).toBe(3);
    expect((await listInvites(h.ctx, tenant, { ...page, q: 'a_' })).items.map((i) => i.email)).toEqual([
      'a_1@example.test',
    ]);
  });
});
