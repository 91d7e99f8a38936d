import { randomBytes, randomUUID } from 'node:crypto';
import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENTERPRISE_USER,
  type EntraPerson,
  entraAddMembers,
  entraCreateGroup,
  entraCreateUser,
  entraDisable,
  entraDiscovery,
  entraGroupByDisplayName,
  entraRemoveMembers,
  entraRenameGroup,
  entraReplaceWithoutPath,
  entraSetManager,
  entraUpdateMultiValued,
  entraUserByQuery,
} from '../fixtures/scim/entra.js';
import { ApiClient } from '../support/client.js';
import type { TestDnsServer } from '../support/dns-server.js';
import { PASSWORD, signedInUser, verifiedUser } from '../support/flows.js';
import {
  eventuallyMember,
  expectScim,
  expectScimError,
  expectScimGroup,
  expectScimList,
  expectScimUser,
  filterQuery,
  type ScimClient,
  type ScimDirectory,
  type ScimStack,
  scimClient,
  scimDirectory,
  signInProvisioned,
  startScimStack,
} from '../support/scim.js';
import type { Stack } from '../support/stack.js';

/**
 * Issue #18 with Microsoft Entra ID's requests: its documented provisioning sequence (and the quirks
 * of its SCIM job without the `aadOptscim062020` flag) replayed through the gateway, every answer read
 * by scimmy, each effect checked through the public API.
 */
let scim: ScimStack;
let stack: Stack;
let dns: TestDnsServer;
let owner: ScimStack['owner'];
let directory: ScimDirectory;
let entra: ScimClient;

const OWNERS = 'Gatehouse Owners';
const ADMINS = 'Gatehouse Admins';

beforeAll(async () => {
  scim = await startScimStack();
  ({ stack, dns, owner } = scim);
  directory = await scimDirectory(owner, dns, {
    name: 'Entra ID',
    roleMapping: [
      { group: OWNERS, role: 'owner' },
      { group: ADMINS, role: 'admin' },
    ],
  });
  entra = scimClient(stack, directory.token, { userAgent: 'Microsoft Entra provisioning (replayed)' });
}, 120_000);
afterAll(async () => {
  await scim?.close();
});

const person = (label: string, department = 'Engineering'): EntraPerson => ({
  userName: `${label}_${randomBytes(3).toString('hex')}@${directory.domain}`,
  givenName: label,
  familyName: 'Tester',
  externalId: randomUUID(),
  department,
});

/** Entra's way in: "Get User by query - Zero results", then "Create User". */
async function provision(who: EntraPerson, manager?: string) {
  expect(expectScimList(await entra.get(entraUserByQuery(who.userName)), 'User').totalResults).toBe(0);
  return expectScimUser(await entra.post('Users', entraCreateUser(who, manager)), 201);
}

it('answers the discovery documents', async () => {
  for (const path of entraDiscovery) expectScim(await entra.get(path), 200);
});

describe('users', () => {
  let boss: { id: string; who: EntraPerson };
  let who: EntraPerson;
  let id: string;

  beforeAll(async () => {
    const bossPerson = person('Grady', 'Management');
    boss = { id: (await provision(bossPerson)).id, who: bossPerson };
  });

  it('creates the user with externalId and the enterprise extension, and makes them a member', async () => {
    who = person('Adele');
    const created = await provision(who, boss.id);
    id = created.id;
    expect(created).toMatchObject({ userName: who.userName, externalId: who.externalId, active: true });
    expect(created.schemas).toEqual(expect.arrayContaining([SCIM_SCHEMAS.user, ENTERPRISE_USER]));
    expect(created[ENTERPRISE_USER]).toMatchObject({ department: 'Engineering', manager: { value: boss.id } });
    await eventuallyMember(owner, who.userName, 'member');
  });

  it('answers 409 uniqueness to the same POST again, and to another userName with the same externalId', async () => {
    expectScimError(await entra.post('Users', entraCreateUser(who)), 409, 'uniqueness');
    const sameExternalId = { ...who, userName: `other_${randomBytes(3).toString('hex')}@${directory.domain}` };
    expectScimError(await entra.post('Users', entraCreateUser(sameExternalId)), 409, 'uniqueness');
  });

  it('finds the user with the filters Entra and admins use', async () => {
    const local = who.userName.split('@')[0]!;
    const filters = [
      `userName eq "${who.userName}"`,
      `externalId eq "${who.externalId}"`,
      `emails[type eq "work"].value eq "${who.userName}"`,
      `emails[type eq "work"].value co "${local.slice(2)}"`,
      `userName sw "${local.slice(0, 8)}"`,
      `userName eq "${who.userName}" and active eq true`,
      `externalId eq "${who.externalId}" or externalId eq "${randomUUID()}"`,
      `(userName eq "${who.userName}") and externalId pr`,
    ];
    for (const filter of filters) {
      const found = expectScimList(await entra.get(filterQuery('Users', filter)), 'User');
      expect(
        found.Resources.map((user: { id: string }) => user.id),
        filter,
      ).toContain(id);
    }
    const none = expectScimList(await entra.get(entraUserByQuery('non-existent user or group')));
    expect(none).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('pages with startIndex and count', async () => {
    const page = expectScimList(await entra.get('Users?startIndex=1&count=1'), 'User');
    expect(page.Resources).toHaveLength(1);
    expect(page.itemsPerPage).toBe(1);
    expect(page.totalResults).toBeGreaterThanOrEqual(2);
    const next = expectScimList(await entra.get('Users?startIndex=2&count=1'), 'User');
    expect(next.startIndex).toBe(2);
    expect(next.Resources[0].id).not.toBe(page.Resources[0].id);
  });

  it('takes "Replace" on a filtered multi-valued path and on a sub-attribute', async () => {
    const patched = expectScimUser(await entra.patch(`Users/${id}`, entraUpdateMultiValued(who.userName, 'Vance')));
    expect(patched.name.familyName).toBe('Vance');
    expect(patched.emails.find((email: { type: string }) => email.type === 'work').value).toBe(who.userName);
  });

  it('takes "Replace" without a path, its value a map of attribute paths', async () => {
    const patched = expectScimUser(
      await entra.patch(
        `Users/${id}`,
        entraReplaceWithoutPath({ displayName: 'Adele V.', givenName: 'Adèle', department: 'Research' }),
      ),
    );
    expect(patched).toMatchObject({ displayName: 'Adele V.', name: { givenName: 'Adèle', familyName: 'Vance' } });
    expect(patched[ENTERPRISE_USER].department).toBe('Research');
  });

  it('sets the manager from a bare id on the extension’s path', async () => {
    const other = person('Lynne', 'Management');
    const otherId = (await provision(other)).id;
    const patched = expectScimUser(await entra.patch(`Users/${id}`, entraSetManager(otherId)));
    expect(patched[ENTERPRISE_USER].manager.value).toBe(otherId);
  });

  it('disables with "active": "False": the member leaves at once and the account signs in no more', async () => {
    const session = await signInProvisioned(stack, who.userName);
    const disabled = expectScimUser(await entra.patch(`Users/${id}`, entraDisable('False')));
    expect(disabled.active).toBe(false);
    await eventuallyMember(owner, who.userName, null);
    await eventually(async () => expect((await session.client.get('/api/user/me')).status).toBe(401), 2000);
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: who.userName,
      password: session.password,
    });
    expect(signIn.body).toMatchObject({ status: 401, code: 'USER_NOT_ACTIVE' });
    // The retried PATCH is a no-op; the boolean form (with the flag) answers the same.
    expect(expectScimUser(await entra.patch(`Users/${id}`, entraDisable('False'))).active).toBe(false);
    expect(expectScimUser(await entra.patch(`Users/${id}`, entraDisable(false))).active).toBe(false);
    const found = expectScimList(await entra.get(entraUserByQuery(who.userName)), 'User');
    expect(found.Resources[0].active).toBe(false);
  });

  it('enables with "True": a member again', async () => {
    expect(expectScimUser(await entra.patch(`Users/${id}`, entraDisable('True'))).active).toBe(true);
    await eventuallyMember(owner, who.userName, 'member');
  });

  it('refuses a boolean that is neither', async () => {
    expectScimError(await entra.patch(`Users/${id}`, entraDisable('maybe' as 'False')), 400);
  });

  it('deletes the user: a SCIM 404 afterwards, and not a member', async () => {
    expectScim(await entra.delete(`Users/${id}`), 204);
    expectScimError(await entra.get(`Users/${id}`), 404);
    expect(expectScimList(await entra.get(entraUserByQuery(who.userName))).totalResults).toBe(0);
    await eventuallyMember(owner, who.userName, null);
  });
});

describe('groups', () => {
  let people: Array<{ id: string; userName: string }>;
  let groupId: string;

  beforeAll(async () => {
    people = [];
    for (const label of ['Alex', 'Bea', 'Cy']) {
      const who = person(label);
      people.push({ id: (await provision(who)).id, userName: who.userName });
    }
  });

  it('creates a group with Entra’s extra schema URN and finds it by displayName without members', async () => {
    const created = expectScimGroup(await entra.post('Groups', entraCreateGroup(ADMINS, randomUUID())), 201);
    groupId = created.id;
    const found = expectScimList(await entra.get(entraGroupByDisplayName(ADMINS)), 'Group');
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0].id).toBe(groupId);
    expect(found.Resources[0].members).toBeUndefined();
    const read = expectScimGroup(await entra.get(`Groups/${groupId}?excludedAttributes=members`));
    expect(read.members).toBeUndefined();
  });

  it('"Add" members: mapped to admin; the same PATCH again is a no-op', async () => {
    const body = entraAddMembers(people.map((p) => p.id));
    expect([200, 204]).toContain((await entra.patch(`Groups/${groupId}`, body)).status);
    for (const p of people) await eventuallyMember(owner, p.userName, 'admin');
    expect([200, 204]).toContain((await entra.patch(`Groups/${groupId}`, body)).status);
    const group = expectScimGroup(await entra.get(`Groups/${groupId}`));
    expect(group.members).toHaveLength(3);
  });

  it('"Remove" with path members and a value removes only those members', async () => {
    const [alex, bea, cy] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
    const removed = await entra.patch(`Groups/${groupId}`, entraRemoveMembers([alex.id]));
    expect([200, 204], JSON.stringify(removed.body)).toContain(removed.status);
    const group = expectScimGroup(await entra.get(`Groups/${groupId}`));
    expect(group.members.map((m: { value: string }) => m.value).sort()).toEqual([bea.id, cy.id].sort());
    await eventuallyMember(owner, alex.userName, 'member');
    await eventuallyMember(owner, bea.userName, 'admin');
  });

  it('the highest mapped role wins: an admin also in the owners group becomes an owner', async () => {
    const bea = people[1]!;
    const owners = expectScimGroup(
      await entra.post('Groups', { ...entraCreateGroup(OWNERS, randomUUID()), members: [{ value: bea.id }] }),
      201,
    );
    await eventuallyMember(owner, bea.userName, 'owner');
    expectScim(await entra.delete(`Groups/${owners.id}`), 204);
    await eventuallyMember(owner, bea.userName, 'admin');
  });

  it('"Replace" the displayName: roles follow the mapping', async () => {
    expect([200, 204]).toContain((await entra.patch(`Groups/${groupId}`, entraRenameGroup('Readers'))).status);
    await eventuallyMember(owner, people[2]!.userName, 'member');
    expect(expectScimGroup(await entra.get(`Groups/${groupId}`)).displayName).toBe('Readers');
  });
});

describe('linking to existing accounts', () => {
  it('links a verified account with the same address: deprovisioning ends the membership, not the account', async () => {
    const email = `linked_${randomBytes(3).toString('hex')}@${directory.domain}`;
    const existing = await verifiedUser(stack, 'Already Here', email);
    const linked = expectScimUser(
      await entra.post('Users', entraCreateUser({ ...person('Linked'), userName: email })),
      201,
    );
    await eventuallyMember(owner, email, 'member');
    // Their own session and password are untouched by the link.
    expect((await existing.client.get('/api/user/me')).status).toBe(200);
    expectScimUser(await entra.patch(`Users/${linked.id}`, entraDisable('False')));
    await eventuallyMember(owner, email, null);
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email,
      password: PASSWORD,
    });
    expect(signIn.status).toBe(200);
  });

  it('takes over an unverified account with the same address: its credentials end', async () => {
    const email = `squatter_${randomBytes(3).toString('hex')}@${directory.domain}`;
    const squatter = await signedInUser(stack, 'Not The Owner', email);
    expectScimUser(await entra.post('Users', entraCreateUser({ ...person('Owner'), userName: email })), 201);
    // Ended in the provisioning transaction; the gateways purge on the revocation event.
    await eventually(async () => expect((await squatter.client.get('/api/user/me')).status).toBe(401), 2000);
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email,
      password: PASSWORD,
    });
    expect(signIn.status).toBe(401);
    await eventuallyMember(owner, email, 'member');
  });
});
