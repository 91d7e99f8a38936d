import { EVENT_SUBJECTS, type EventEnvelope, newId, type Role } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { DirectoryUserSchema } from '../src/directory/entities.js';
import { directoryEventHandlers } from '../src/directory-sync/consumer.js';
import { OrganizationSchema } from '../src/organizations/entities.js';
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

type Subject = typeof EVENT_SUBJECTS.directoryMembershipsChanged;

function changesEvent(
  organizationId: string,
  changes: Array<{ userId: string; role: Role | null; previousRole?: Role | null }>,
) {
  const event: EventEnvelope<Subject> = {
    id: newId(),
    type: EVENT_SUBJECTS.directoryMembershipsChanged,
    occurredAt: new Date().toISOString(),
    version: 1,
    requestId: newId(),
    data: {
      directoryId: newId(),
      organizationId,
      changes: changes.map(({ userId, role, previousRole }) => ({
        userId,
        role,
        previousRole,
        email: `${userId.toLowerCase()}@acme.example`,
        name: `Person ${userId.slice(-4)}`,
      })),
    },
  };
  return event;
}

/** What the consumer does with one event, in one transaction as the consumer runs it. */
async function apply(event: EventEnvelope<Subject>) {
  await h
    .em()
    .transactional((em) => directoryEventHandlers(h.ctx)[EVENT_SUBJECTS.directoryMembershipsChanged]!(event, em));
}

const since = async (organizationId: string, count: number) => (await eventsOf(h, organizationId)).slice(count);

describe('a directory’s membership changes (directory.memberships_changed)', () => {
  it('adds people with their roles, fills the member directory, and records member.added', async () => {
    const owner = await directoryUser(h, 'owner');
    const { organizationId } = await organizationWith(h, owner);
    const before = (await eventsOf(h, organizationId)).length;
    const ada = newId();
    const bob = newId();
    await apply(
      changesEvent(organizationId, [
        { userId: ada, role: 'admin' },
        { userId: bob, role: 'member' },
      ]),
    );
    expect(await rolesIn(h, organizationId)).toEqual({ [owner]: 'owner', [ada]: 'admin', [bob]: 'member' });
    expect(await since(organizationId, before)).toEqual([
      { subject: EVENT_SUBJECTS.memberAdded, data: { organizationId, userId: ada, role: 'admin' } },
      { subject: EVENT_SUBJECTS.memberAdded, data: { organizationId, userId: bob, role: 'member' } },
    ]);
    const person = await h.em().findOneOrFail(DirectoryUserSchema, { userId: ada });
    expect(person).toMatchObject({ email: `${ada.toLowerCase()}@acme.example`, name: `Person ${ada.slice(-4)}` });
  });

  it('changes a role (member.role_changed) and removes a person who left (member.removed)', async () => {
    const owner = await directoryUser(h, 'owner');
    const ada = await directoryUser(h, 'ada');
    const bob = await directoryUser(h, 'bob');
    const { organizationId } = await organizationWith(h, owner, [
      { userId: ada, role: 'member' },
      { userId: bob, role: 'admin' },
    ]);
    const before = (await eventsOf(h, organizationId)).length;
    await apply(
      changesEvent(organizationId, [
        { userId: ada, role: 'admin' },
        { userId: bob, role: null },
      ]),
    );
    expect(await rolesIn(h, organizationId)).toEqual({ [owner]: 'owner', [ada]: 'admin' });
    expect(await since(organizationId, before)).toEqual([
      {
        subject: EVENT_SUBJECTS.memberRoleChanged,
        data: { organizationId, userId: ada, role: 'admin', previousRole: 'member' },
      },
      { subject: EVENT_SUBJECTS.memberRemoved, data: { organizationId, userId: bob, role: 'admin' } },
    ]);
  });

  it('keeps the last owner an owner whatever the directory maps them to', async () => {
    const owner = await directoryUser(h, 'owner');
    const ada = await directoryUser(h, 'ada');
    const { organizationId } = await organizationWith(h, owner, [{ userId: ada, role: 'member' }]);
    const before = (await eventsOf(h, organizationId)).length;
    await apply(changesEvent(organizationId, [{ userId: owner, role: 'member' }]));
    expect(await rolesIn(h, organizationId)).toEqual({ [owner]: 'owner', [ada]: 'member' });
    expect(await since(organizationId, before)).toEqual([]);
  });

  it('demotes only owners it made, never the last owner; a founder keeps the role; it may make owners', async () => {
    const owner = await directoryUser(h, 'owner');
    const coOwner = await directoryUser(h, 'co-owner');
    const { organizationId } = await organizationWith(h, owner, [{ userId: coOwner, role: 'owner' }]);
    const admin = await directoryUser(h, 'admin');
    await apply(changesEvent(organizationId, [{ userId: admin, role: 'admin' }]));
    await apply(
      changesEvent(organizationId, [
        { userId: coOwner, role: 'admin' },
        { userId: owner, role: 'member' },
        { userId: admin, role: 'owner' },
      ]),
    );
    // Nothing the directory asked before: owner and co-owner stay owners; the admin it made owner.
    expect(await rolesIn(h, organizationId)).toEqual({ [owner]: 'owner', [coOwner]: 'owner', [admin]: 'owner' });
    // What it made it may unmake: the owner it made becomes admin, while another owner remains.
    await apply(changesEvent(organizationId, [{ userId: admin, role: 'admin', previousRole: 'owner' }]));
    expect(await rolesIn(h, organizationId)).toEqual({ [owner]: 'owner', [coOwner]: 'owner', [admin]: 'admin' });
    // The last owner stays one, whatever the directory had asked.
    const { organizationId: solo } = await organizationWith(h, await directoryUser(h, 'solo'), []);
    const [founder] = Object.keys(await rolesIn(h, solo));
    await apply(changesEvent(solo, [{ userId: founder!, role: 'member', previousRole: 'owner' }]));
    expect(Object.values(await rolesIn(h, solo))).toEqual(['owner']);
  });

  it('makes the longest-standing remaining member owner when the directory removes the last owner', async () => {
    const owner = await directoryUser(h, 'owner');
    const first = await directoryUser(h, 'first');
    const later = await directoryUser(h, 'later');
    const { organizationId } = await organizationWith(h, owner, [
      { userId: first, role: 'member' },
      { userId: later, role: 'admin' },
    ]);
    const before = (await eventsOf(h, organizationId)).length;
    await apply(changesEvent(organizationId, [{ userId: owner, role: null }]));
    expect(await rolesIn(h, organizationId)).toEqual({ [first]: 'owner', [later]: 'admin' });
    expect(await since(organizationId, before)).toEqual([
      { subject: EVENT_SUBJECTS.memberRemoved, data: { organizationId, userId: owner, role: 'owner' } },
      {
        subject: EVENT_SUBJECTS.memberRoleChanged,
        data: { organizationId, userId: first, role: 'owner', previousRole: 'member' },
      },
    ]);
  });

  it('leaves an organization the directory emptied in place (deleting it is a person’s decision)', async () => {
    const owner = await directoryUser(h, 'alone');
    const { organizationId } = await organizationWith(h, owner);
    await apply(changesEvent(organizationId, [{ userId: owner, role: null }]));
    expect(await rolesIn(h, organizationId)).toEqual({});
    expect(await h.em().findOne(OrganizationSchema, { id: organizationId })).not.toBeNull();
    expect((await eventsOf(h, organizationId)).at(-1)?.subject).toBe(EVENT_SUBJECTS.memberRemoved);
  });

  it('changes nothing more when the same changes are applied again (a replayed sync)', async () => {
    const owner = await directoryUser(h, 'owner');
    const ada = await directoryUser(h, 'ada');
    const { organizationId } = await organizationWith(h, owner, [{ userId: ada, role: 'member' }]);
    const newcomer = newId();
    const changes = [
      { userId: newcomer, role: 'admin' as const },
      { userId: ada, role: null },
    ];
    await apply(changesEvent(organizationId, changes));
    const after = (await eventsOf(h, organizationId)).length;
    await apply(changesEvent(organizationId, changes));
    expect(await rolesIn(h, organizationId)).toEqual({ [owner]: 'owner', [newcomer]: 'admin' });
    expect((await eventsOf(h, organizationId)).length).toBe(after);
  });

  it('is done with an organization that no longer exists', async () => {
    const ghost = newId();
    const person = newId();
    await apply(changesEvent(ghost, [{ userId: person, role: 'member' }]));
    expect(await eventsOf(h, ghost)).toEqual([]);
    expect(await h.em().findOne(DirectoryUserSchema, { userId: person })).toBeNull();
  });

  it('applies a full event of 500 changes in one go', async () => {
    const owner = await directoryUser(h, 'owner');
    const { organizationId } = await organizationWith(h, owner);
    const people = Array.from({ length: 500 }, () => newId());
    const started = Date.now();
    await apply(
      changesEvent(
        organizationId,
        people.map((userId) => ({ userId, role: 'member' })),
      ),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(Object.keys(await rolesIn(h, organizationId))).toHaveLength(501);
  });
});
