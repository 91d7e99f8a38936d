import { randomBytes } from 'node:crypto';
import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import SCIMMY from 'scimmy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OktaPerson,
  oktaAddMembers,
  oktaCreateGroup,
  oktaCreateUser,
  oktaDiscovery,
  oktaListGroups,
  oktaPasswordChange,
  oktaRemoveMember,
  oktaRenameGroup,
  oktaReplaceUser,
  oktaSetActive,
  oktaUserExists,
} from '../fixtures/scim/okta.js';
import { ApiClient } from '../support/client.js';
import type { TestDnsServer } from '../support/dns-server.js';
import {
  eventuallyMember,
  expectScim,
  expectScimError,
  expectScimGroup,
  expectScimList,
  expectScimUser,
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
 * Issue #18 with Okta's requests: its documented provisioning sequence replayed through the gateway,
 * every answer read by scimmy, and each effect checked where a person sees it (membership, role,
 * sign-in).
 */
let scim: ScimStack;
let stack: Stack;
let dns: TestDnsServer;
let owner: ScimStack['owner'];
let directory: ScimDirectory;
let okta: ScimClient;

const ADMINS = 'Gatehouse Admins';

beforeAll(async () => {
  scim = await startScimStack();
  ({ stack, dns, owner } = scim);
  directory = await scimDirectory(owner, dns, { name: 'Okta', roleMapping: [{ group: ADMINS, role: 'admin' }] });
  okta = scimClient(stack, directory.token, { userAgent: 'Okta SCIM Client 1.0.0' });
}, 120_000);
afterAll(async () => {
  await scim?.close();
});

const person = (label: string): OktaPerson => ({
  userName: `${label}.${randomBytes(3).toString('hex')}@${directory.domain}`,
  givenName: label[0]!.toUpperCase() + label.slice(1),
  familyName: 'Tester',
  externalId: `00u${randomBytes(8).toString('hex')}`,
});

/** Okta's way in: look the person up, and create them when not found. */
async function provision(who: OktaPerson) {
  const found = expectScimList(await okta.get(oktaUserExists(who.userName)), 'User');
  expect(found).toMatchObject({ totalResults: 0, Resources: [] });
  return expectScimUser(await okta.post('Users', oktaCreateUser(who)), 201);
}

describe('discovery (Okta "Test connection")', () => {
  it('answers ServiceProviderConfig, ResourceTypes, Schemas and a first page of users', async () => {
    const [config, types, schemas, users] = await Promise.all(oktaDiscovery.map((path) => okta.get(path)));
    const spc = expectScim(config!, 200);
    SCIMMY.Schemas.ServiceProviderConfig.definition.coerce(spc, 'out');
    expect(spc.patch.supported).toBe(true);
    expect(spc.filter.supported).toBe(true);
    expect(spc.filter.maxResults).toBeGreaterThan(0);
    expect(spc.bulk.supported).toBe(false);
    expect(spc.authenticationSchemes.map((scheme: { type: string }) => scheme.type)).toContain('oauthbearertoken');

    const typeList = expectScimList(types!);
    for (const type of typeList.Resources) SCIMMY.Schemas.ResourceType.definition.coerce(type, 'out');
    const user = typeList.Resources.find((type: { name: string }) => type.name === 'User');
    expect(user).toMatchObject({ endpoint: '/Users', schema: SCIM_SCHEMAS.user });
    expect(user.schemaExtensions).toContainEqual(expect.objectContaining({ schema: SCIM_SCHEMAS.enterpriseUser }));
    expect(typeList.Resources.map((type: { name: string }) => type.name)).toContain('Group');

    const ids = expectScimList(schemas!).Resources.map((schema: { id: string }) => schema.id);
    expect(ids).toEqual(expect.arrayContaining([SCIM_SCHEMAS.user, SCIM_SCHEMAS.group, SCIM_SCHEMAS.enterpriseUser]));
    expectScimList(users!, 'User');
  });

  it('works without a User-Agent', async () => {
    const bare = okta.with({ userAgent: null });
    expectScim(await bare.get('ServiceProviderConfig'), 200);
    expectScimList(await bare.get(oktaUserExists(`nobody@${directory.domain}`)), 'User');
  });
});

describe('users', () => {
  let who: OktaPerson;
  let id: string;

  it('looks the person up by userName, then creates them: an account and a membership', async () => {
    who = person('ada');
    const created = await provision(who);
    id = created.id;
    expect(created).toMatchObject({
      userName: who.userName,
      externalId: who.externalId,
      active: true,
      name: { givenName: 'Ada', familyName: 'Tester' },
      emails: [expect.objectContaining({ value: who.userName, primary: true })],
    });
    expect(created.schemas).toContain(SCIM_SCHEMAS.user);
    await eventuallyMember(owner, who.userName, 'member');
    // Okta's password was not kept: it does not sign in.
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: who.userName,
      password: '1mz050nq',
    });
    expect(signIn.status).toBe(401);
  });

  it('finds them again by userName, in any case, with startIndex and count as Okta sends them', async () => {
    const found = expectScimList(await okta.get(oktaUserExists(who.userName.toUpperCase())), 'User');
    expect(found.totalResults).toBe(1);
    expect(found.startIndex).toBe(1);
    expect(found.Resources[0].id).toBe(id);
  });

  it('answers 409 uniqueness to the same POST again, and keeps one user', async () => {
    expectScimError(await okta.post('Users', oktaCreateUser(who)), 409, 'uniqueness');
    expectScimError(
      await okta.post('Users', { ...oktaCreateUser(who), userName: who.userName.toUpperCase() }),
      409,
      'uniqueness',
    );
    expect(expectScimList(await okta.get(oktaUserExists(who.userName))).totalResults).toBe(1);
  });

  it('reads the user by id, and answers a SCIM 404 for an unknown one', async () => {
    expect(expectScimUser(await okta.get(`Users/${id}`)).userName).toBe(who.userName);
    expectScimError(await okta.get('Users/23a35c27-23d3-4c03-b4c5-6443c09e7173'), 404);
  });

  it('takes the whole user by PUT for a change, and the person stays a member', async () => {
    const replaced = expectScimUser(await okta.put(`Users/${id}`, oktaReplaceUser(id, who, { givenName: 'Another' })));
    expect(replaced).toMatchObject({ id, active: true, name: { givenName: 'Another' }, displayName: 'Another Tester' });
    expect(expectScimUser(await okta.get(`Users/${id}`)).name.givenName).toBe('Another');
    const again = expectScimUser(await okta.put(`Users/${id}`, oktaReplaceUser(id, who, { givenName: 'Another' })));
    expect(again.name.givenName).toBe('Another');
    await eventuallyMember(owner, who.userName, 'member');
  });

  it('accepts Okta’s password push without keeping or answering it', async () => {
    const patched = expectScimUser(await okta.patch(`Users/${id}`, oktaPasswordChange('n3w-pa55w0rd')));
    expect(patched.password).toBeUndefined();
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: who.userName,
      password: 'n3w-pa55w0rd',
    });
    expect(signIn.status).toBe(401);
  });

  it('deactivates by PATCH replace without a path: the member leaves and the account signs in no more', async () => {
    const session = await signInProvisioned(stack, who.userName);
    const deactivated = expectScimUser(await okta.patch(`Users/${id}`, oktaSetActive(false)));
    expect(deactivated.active).toBe(false);
    await eventuallyMember(owner, who.userName, null);
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: who.userName,
      password: session.password,
    });
    expect(signIn.body).toMatchObject({ status: 401, code: 'USER_NOT_ACTIVE' });
    await eventually(async () => expect((await session.client.get('/api/user/me')).status).toBe(401), 2000);
    // Okta retries: the same PATCH again changes nothing.
    expect(expectScimUser(await okta.patch(`Users/${id}`, oktaSetActive(false))).active).toBe(false);
    expect(expectScimList(await okta.get(oktaUserExists(who.userName)), 'User').Resources[0].active).toBe(false);
  });

  it('reactivates: the account signs in again and the person is a member again', async () => {
    expect(expectScimUser(await okta.patch(`Users/${id}`, oktaSetActive(true))).active).toBe(true);
    await eventuallyMember(owner, who.userName, 'member');
    const session = await signInProvisioned(stack, who.userName, 'a-second-passphrase');
    expect((await session.client.get('/api/user/me')).status).toBe(200);
  });

  it('refuses an address outside the organization’s verified domains', async () => {
    const stranger = { ...person('eve'), userName: `eve-${randomBytes(3).toString('hex')}@unverified.example` };
    expectScimError(await okta.post('Users', oktaCreateUser(stranger)), 400, 'invalidValue');
  });

  it('answers SCIM errors, never the Gatehouse envelope, for a malformed body or filter', async () => {
    expectScimError(await okta.post('Users', { schemas: [SCIM_SCHEMAS.user] }), 400);
    expectScimError(await okta.get(`Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
    expectScimError(
      await okta.patch(`Users/${id}`, { schemas: [SCIM_SCHEMAS.patchOp], Operations: [{ op: 'jump' }] }),
      400,
    );
  });
});

describe('group push', () => {
  let ada: { id: string; userName: string };
  let bob: { id: string; userName: string };
  let groupId: string;

  beforeAll(async () => {
    const [a, b] = [person('adele'), person('bob')];
    ada = { id: (await provision(a)).id, userName: a.userName };
    bob = { id: (await provision(b)).id, userName: b.userName };
  });

  it('creates the pushed group, empty, and lists it without members', async () => {
    const created = expectScimGroup(await okta.post('Groups', oktaCreateGroup(ADMINS)), 201);
    groupId = created.id;
    expect(created).toMatchObject({ displayName: ADMINS });
    expect(created.members ?? []).toEqual([]);
    expectScimError(await okta.post('Groups', oktaCreateGroup(ADMINS.toUpperCase())), 409, 'uniqueness');
    const listed = expectScimList(await okta.get(oktaListGroups), 'Group');
    const row = listed.Resources.find((group: { id: string }) => group.id === groupId);
    expect(row.displayName).toBe(ADMINS);
    expect(row.members).toBeUndefined();
  });

  it('adds members: they get the role the group maps to; a retried PATCH adds nothing twice', async () => {
    const added = await okta.patch(`Groups/${groupId}`, oktaAddMembers([ada, bob]));
    expect([200, 204], JSON.stringify(added.body)).toContain(added.status);
    await eventuallyMember(owner, ada.userName, 'admin');
    await eventuallyMember(owner, bob.userName, 'admin');
    const retried = await okta.patch(`Groups/${groupId}`, oktaAddMembers([ada, bob]));
    expect([200, 204]).toContain(retried.status);
    const group = expectScimGroup(await okta.get(`Groups/${groupId}`));
    expect(group.members.map((member: { value: string }) => member.value).sort()).toEqual([ada.id, bob.id].sort());
    const user = expectScimUser(await okta.get(`Users/${ada.id}`));
    expect(user.groups?.map((g: { value: string }) => g.value)).toContain(groupId);
  });

  it('removes one member by a filtered path, and the group keeps the others', async () => {
    const removed = await okta.patch(`Groups/${groupId}`, oktaRemoveMember(ada.id));
    expect([200, 204], JSON.stringify(removed.body)).toContain(removed.status);
    const group = expectScimGroup(await okta.get(`Groups/${groupId}`));
    expect(group.members.map((member: { value: string }) => member.value)).toEqual([bob.id]);
    await eventuallyMember(owner, ada.userName, 'member');
    await eventuallyMember(owner, bob.userName, 'admin');
  });

  it('renames the group: a name the mapping does not know gives the default role back', async () => {
    const renamed = await okta.patch(`Groups/${groupId}`, oktaRenameGroup(groupId, 'Gatehouse Readers'));
    expect([200, 204]).toContain(renamed.status);
    await eventuallyMember(owner, bob.userName, 'member');
    await okta.patch(`Groups/${groupId}`, oktaRenameGroup(groupId, ADMINS.toLowerCase()));
    await eventuallyMember(owner, bob.userName, 'admin');
  });

  it('deletes the group: its members’ roles are recomputed', async () => {
    expectScim(await okta.delete(`Groups/${groupId}`), 204);
    expectScimError(await okta.get(`Groups/${groupId}`), 404);
    await eventuallyMember(owner, bob.userName, 'member');
  });

  it('deletes a user: gone from SCIM and from the organization', async () => {
    expectScim(await okta.delete(`Users/${bob.id}`), 204);
    expectScimError(await okta.get(`Users/${bob.id}`), 404);
    expect(expectScimList(await okta.get(oktaUserExists(bob.userName))).totalResults).toBe(0);
    await eventuallyMember(owner, bob.userName, null);
    expectScimError(await okta.delete(`Users/${bob.id}`), 404);
  });
});
