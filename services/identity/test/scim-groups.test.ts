import {
  DIRECTORY_CHANGES_PER_EVENT,
  type DirectoryPrincipal,
  EVENT_SUBJECTS,
  newId,
  type Role,
  SCIM_MEDIA_TYPE,
  SCIM_SCHEMAS,
} from '@gatehouse/contracts';
import SCIMMY from 'scimmy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorContext } from '../src/build-context.js';
import { commit } from '../src/context.js';
import { DirectorySchema } from '../src/directories/entities.js';
import { syncMemberships } from '../src/directory-roles/service.js';
import { type IdentityHarness, startIdentity } from './harness.js';
import { scimSuite } from './scim-support.js';

/**
 * /scim/v2/Groups through the identity app, as the gateway forwards it (a directory's signed
 * principal), over a directory and SCIM users inserted directly; roles and the outbox checked in the
 * database. Request bodies are shaped as Okta's and Entra ID's provisioning guides document them.
 */
let h: IdentityHarness;
let principal: DirectoryPrincipal;
const GROUPS = '/scim/v2/Groups';
const PATCH_OP = SCIM_SCHEMAS.patchOp;
const ADMINS = 'Gatehouse Admins';
const OWNERS = 'Gatehouse Owners';

const suite = scimSuite(
  () => h,
  () => principal,
);
const { sql, scim } = suite;

/** The suites' directory: Admins (stored lower-cased, matched in any case) → admin, Owners → owner. */
const insertDirectory = (organizationId: string) =>
  suite.insertDirectory(organizationId, {
    roleMapping: [
      { group: ADMINS.toLowerCase(), role: 'admin' },
      { group: OWNERS, role: 'owner' },
    ],
  });

/** `count` provisioned people of the directory (an account each), as H2's create leaves them: default role. */
async function insertPeople(count: number, options: { active?: boolean; directoryId?: string } = {}) {
  const batch = newId().toLowerCase();
  const rows: Array<{ id: string }> = await sql(
    `with accounts as (
       insert into users (id, email, password_hash, full_name, handle, is_verified, is_active, created_at, updated_at)
       select ? || lpad(n::text, 6, '0'), 'p' || n || '-' || ? || '@acme.example', 'x', 'Person ' || n,
              'h' || ? || n, true, true, now(), now()
         from generate_series(1, ?) n
       returning id, email, full_name
     )
     insert into scim_users (id, directory_id, user_id, user_name, active, display_name, email, resource, owns_account,
                             role, created_at, updated_at)
     select 'S' || substr(a.id, 2), ?, a.id, a.email, ?, a.full_name, a.email, '{}', true, ?, now(), now()
       from accounts a
     returning id`,
    [
      `U${batch.slice(0, 19).toUpperCase()}`,
      batch,
      batch.slice(0, 20),
      count,
      options.directoryId ?? principal.directoryId,
      options.active ?? true,
      (options.active ?? true) ? 'member' : null,
    ],
  );
  return rows.map((row) => row.id).sort();
}

const rolesOf = async (ids: string[]): Promise<Record<string, Role | null>> =>
  Object.fromEntries(
    (
      await sql('select id, role from scim_users where id in (select jsonb_array_elements_text(cast(? as jsonb)))', [
        JSON.stringify(ids),
      ])
    ).map((row) => [row.id, row.role]),
  );

/** The directory events recorded since `after` (an outbox id), oldest first. */
async function directoryEvents(after = '') {
  const rows = await sql(
    `select id, payload from outbox_events where subject = ? and payload->'data'->>'directoryId' = ? and id > ? order by id`,
    [EVENT_SUBJECTS.directoryMembershipsChanged, principal.directoryId, after],
  );
  return rows.map((row) => ({ id: row.id as string, data: row.payload.data, requestId: row.payload.requestId }));
}
const lastOutboxId = async () => ((await sql('select max(id) as id from outbox_events'))[0]?.id as string) ?? '';

const member = (id: string) => ({ value: id });
let counter = 0;
const uniqueName = (base: string) => `${base} ${++counter}`;

async function createGroup(displayName: string, members: string[] = [], extra: Record<string, unknown> = {}) {
  const res = await scim('POST', GROUPS, {
    schemas: [SCIM_SCHEMAS.group],
    displayName,
    members: members.map(member),
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const patch = (id: string, Operations: unknown[]) =>
  scim('PATCH', `${GROUPS}/${id}`, { schemas: [PATCH_OP], Operations });
const memberIds = async (groupId: string) =>
  (await sql('select scim_user_id from scim_group_members where group_id = ? order by 1', [groupId])).map(
    (row) => row.scim_user_id as string,
  );
const versionOf = async (groupId: string) =>
  (await sql('select version from scim_groups where id = ?', [groupId]))[0]?.version;

beforeAll(async () => {
  h = await startIdentity();
  const organizationId = newId();
  principal = { kind: 'scim', credentialId: newId(), directoryId: '', organizationId };
  principal.directoryId = await insertDirectory(organizationId);
});
afterAll(async () => {
  await h?.close();
});

describe('creating and reading groups', () => {
  it('creates a group (Okta: POST /Groups) with its members, answered as SCIM with a Location', async () => {
    const people = await insertPeople(2);
    const res = await scim('POST', GROUPS, {
      schemas: [SCIM_SCHEMAS.group],
      displayName: uniqueName('Engineering'),
      externalId: `ext-${newId()}`,
      members: people.map((id) => ({ value: id, display: 'someone' })),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toContain(SCIM_MEDIA_TYPE);
    const group = res.json();
    expect(res.headers.location).toBe(`http://localhost:8080/scim/v2/Groups/${group.id}`);
    expect(group).toMatchObject({
      schemas: [SCIM_SCHEMAS.group],
      meta: { resourceType: 'Group', location: res.headers.location, version: 'W/"1"' },
    });
    expect(group.members.map((m: { value: string }) => m.value).sort()).toEqual(people);
    expect(group.members[0]).toEqual({
      value: group.members[0].value,
      display: expect.stringMatching(/^Person /),
      $ref: `http://localhost:8080/scim/v2/Users/${group.members[0].value}`,
    });
    // An independent SCIM library reads it as a valid Group.
    expect(() => SCIMMY.Schemas.Group.definition.coerce(group, 'out')).not.toThrow();
  });

  it('refuses a second group with the same displayName (any case) or externalId: 409 uniqueness', async () => {
    const name = uniqueName('Sales');
    const externalId = `ext-${newId()}`;
    await createGroup(name, [], { externalId });
    for (const body of [{ displayName: name.toUpperCase() }, { displayName: uniqueName('Other'), externalId }]) {
      const res = await scim('POST', GROUPS, { schemas: [SCIM_SCHEMAS.group], ...body });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.error], status: '409', scimType: 'uniqueness' });
    }
  });

  it('refuses an unknown member id with 400 invalidValue naming it, and creates nothing', async () => {
    const [known] = await insertPeople(1);
    const stranger = newId();
    const name = uniqueName('Strangers');
    const res = await scim('POST', GROUPS, {
      schemas: [SCIM_SCHEMAS.group],
      displayName: name,
      members: [member(known!), member(stranger)],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
      detail: expect.stringContaining(stranger),
    });
    expect(await sql('select 1 from scim_groups where display_name = ?', [name])).toEqual([]);
  });

  it('refuses another directory’s user as a member', async () => {
    const otherDirectory = await insertDirectory(newId());
    const [theirs] = await insertPeople(1, { directoryId: otherDirectory });
    const res = await scim('POST', GROUPS, {
      schemas: [SCIM_SCHEMAS.group],
      displayName: uniqueName('X'),
      members: [member(theirs!)],
    });
    expect(res.statusCode).toBe(400);
  });

  it('reads a group with its members, or without them (excludedAttributes=members)', async () => {
    const people = await insertPeople(3);
    const group = await createGroup(uniqueName('Readers'), people);
    const full = await scim('GET', `${GROUPS}/${group.id}`);
    expect(full.statusCode).toBe(200);
    expect(full.json().members).toHaveLength(3);
    const bare = await scim('GET', `${GROUPS}/${group.id}?excludedAttributes=members`);
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).not.toHaveProperty('members');
    expect(bare.json()).toMatchObject({ id: group.id, displayName: group.displayName });
    expect((await scim('GET', `${GROUPS}/${newId()}`)).statusCode).toBe(404);
  });

  it('finds a group by name before creating it (Okta and Entra: filter=displayName eq "…")', async () => {
    const name = uniqueName('Lookup');
    const group = await createGroup(name, await insertPeople(1));
    const found = await scim(
      'GET',
      `${GROUPS}?filter=${encodeURIComponent(`displayName eq "${name.toLowerCase()}"`)}&excludedAttributes=members`,
    );
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.listResponse], totalResults: 1, itemsPerPage: 1 });
    expect(found.json().Resources[0]).toMatchObject({ id: group.id, displayName: name });
    expect(found.json().Resources[0]).not.toHaveProperty('members');
    const none = await scim('GET', `${GROUPS}?filter=${encodeURIComponent('displayName eq "nobody here"')}`);
    expect(none.json()).toMatchObject({ totalResults: 0, Resources: [] });
  });
});

describe('roles follow the groups', () => {
  it('gives the members of a mapped group its role, and records the changes in the outbox', async () => {
    const people = await insertPeople(2);
    const after = await lastOutboxId();
    const group = await createGroup(ADMINS.toUpperCase(), people);
    expect(await rolesOf(people)).toEqual({ [people[0]!]: 'admin', [people[1]!]: 'admin' });
    const events = await directoryEvents(after);
    expect(events).toHaveLength(1);
    const [account] = await sql(
      'select u.id, u.email, u.full_name from users u join scim_users s on s.user_id = u.id where s.id = ?',
      [people[0]],
    );
    expect(events[0]!.data).toMatchObject({
      directoryId: principal.directoryId,
      organizationId: principal.organizationId,
    });
    expect(events[0]!.data.changes).toContainEqual({
      userId: account.id,
      role: 'admin',
      previousRole: 'member',
      email: account.email,
      name: account.full_name,
    });
    expect(events[0]!.data.changes).toHaveLength(2);
    // The group is gone again for the next tests (its name is unique).
    await scim('DELETE', `${GROUPS}/${group.id}`);
  });

  it('gives the highest role of a person’s mapped groups, the default in none, and nothing while inactive', async () => {
    const [both, adminOnly] = await insertPeople(2);
    const [inactive] = await insertPeople(1, { active: false });
    const admins = await createGroup(ADMINS, [both!, adminOnly!, inactive!]);
    const owners = await createGroup(OWNERS, [both!]);
    expect(await rolesOf([both!, adminOnly!, inactive!])).toEqual({
      [both!]: 'owner',
      [adminOnly!]: 'admin',
      [inactive!]: null,
    });
    // Leaving the owners' group: the admins' role remains.
    const after = await lastOutboxId();
    expect((await patch(owners.id, [{ op: 'remove', path: `members[value eq "${both}"]` }])).statusCode).toBe(204);
    expect((await rolesOf([both!]))[both!]).toBe('admin');
    expect((await directoryEvents(after)).flatMap((event) => event.data.changes)).toEqual([
      expect.objectContaining({ role: 'admin' }),
    ]);
    // Deleting the admins' group: its members fall back to the default role.
    expect((await scim('DELETE', `${GROUPS}/${admins.id}`)).statusCode).toBe(204);
    expect(await rolesOf([both!, adminOnly!, inactive!])).toEqual({
      [both!]: 'member',
      [adminOnly!]: 'member',
      [inactive!]: null,
    });
    expect((await scim('GET', `${GROUPS}/${admins.id}`)).statusCode).toBe(404);
    await scim('DELETE', `${GROUPS}/${owners.id}`);
  });

  it('recomputes every member’s role when a rename changes what the mapping sees (Entra: Replace displayName)', async () => {
    const people = await insertPeople(2);
    const group = await createGroup(uniqueName('Unmapped'), people);
    expect(Object.values(await rolesOf(people))).toEqual(['member', 'member']);
    const renamed = await patch(group.id, [{ op: 'Replace', path: 'displayName', value: ADMINS }]);
    expect(renamed.statusCode, renamed.body).toBe(204);
    expect(Object.values(await rolesOf(people))).toEqual(['admin', 'admin']);
    const back = await patch(group.id, [{ op: 'replace', value: { id: group.id, displayName: uniqueName('Plain') } }]);
    expect(back.statusCode, back.body).toBe(204);
    expect(Object.values(await rolesOf(people))).toEqual(['member', 'member']);
    expect(await versionOf(group.id)).toBe(3);
  });
  it('applies a changed mapping to everyone of the directory (syncMemberships "all", as a directory update does)', async () => {
    const people = await insertPeople(2);
    const group = await createGroup(uniqueName('Support'), people);
    await insertPeople(1, { active: false });
    const ctx = operatorContext(h.service.deps);
    const directory = await h.service.deps.orm.em.fork().findOneOrFail(DirectorySchema, { id: principal.directoryId });
    const remapped = {
      ...directory,
      roleMapping: [...directory.roleMapping, { group: group.displayName, role: 'admin' as const }],
    };
    const after = await lastOutboxId();
    expect(await commit(ctx, (em) => syncMemberships(ctx, em, remapped, 'all', 'request-1'))).toBe(2);
    expect(Object.values(await rolesOf(people))).toEqual(['admin', 'admin']);
    const events = await directoryEvents(after);
    expect(events).toHaveLength(1);
    expect(events[0]!.requestId).toBe('request-1');
    expect(await commit(ctx, (em) => syncMemberships(ctx, em, remapped, 'all'))).toBe(0);
    expect(await commit(ctx, (em) => syncMemberships(ctx, em, directory, 'all'))).toBe(2);
    expect(Object.values(await rolesOf(people))).toEqual(['member', 'member']);
  });
});

describe('changing members', () => {
  it('adds members (Okta), and the same PATCH again changes nothing', async () => {
    const [first, second] = await insertPeople(2);
    const group = await createGroup(uniqueName('Okta push'), [first!]);
    const add = [{ op: 'add', path: 'members', value: [{ value: second, display: 'second@acme.example' }] }];
    expect((await patch(group.id, add)).statusCode).toBe(204);
    expect(await memberIds(group.id)).toEqual([first, second].sort());
    expect(await versionOf(group.id)).toBe(2);
    const after = await lastOutboxId();
    const [{ last_sync_at: syncedAt }] = await sql('select last_sync_at from directories where id = ?', [
      principal.directoryId,
    ]);
    expect((await patch(group.id, add)).statusCode).toBe(204);
    expect(await memberIds(group.id)).toEqual([first, second].sort());
    expect(await versionOf(group.id)).toBe(2);
    expect(await directoryEvents(after)).toEqual([]);
    const [{ last_sync_at: still }] = await sql('select last_sync_at from directories where id = ?', [
      principal.directoryId,
    ]);
    expect(still).toEqual(syncedAt);
  });

  it('removes exactly one member by filter and keeps the rest (Okta: members[value eq "…"])', async () => {
    const people = await insertPeople(4);
    const group = await createGroup(ADMINS, people);
    const gone = people[1]!;
    const res = await patch(group.id, [{ op: 'remove', path: `members[value eq "${gone}"]` }]);
    expect(res.statusCode, res.body).toBe(204);
    expect(await memberIds(group.id)).toEqual(people.filter((id) => id !== gone));
    expect(await rolesOf(people)).toEqual(
      Object.fromEntries(people.map((id) => [id, id === gone ? 'member' : 'admin'])),
    );
    await scim('DELETE', `${GROUPS}/${group.id}`);
  });

  it('takes Entra’s capitalised Add and Remove with value lists', async () => {
    const people = await insertPeople(3);
    const group = await createGroup(uniqueName('Entra'), [people[0]!]);
    const added = await patch(group.id, [
      {
        op: 'Add',
        path: 'members',
        value: [
          { $ref: null, value: people[1] },
          { $ref: null, value: people[2] },
        ],
      },
    ]);
    expect(added.statusCode, added.body).toBe(204);
    expect(await memberIds(group.id)).toEqual(people);
    const removed = await patch(group.id, [
      { op: 'Remove', path: 'members', value: [{ $ref: null, value: people[0] }] },
    ]);
    expect(removed.statusCode, removed.body).toBe(204);
    expect(await memberIds(group.id)).toEqual(people.slice(1));
  });

  it('replaces the member set (replace members; replace without a path), and empties it (remove members)', async () => {
    const people = await insertPeople(4);
    const group = await createGroup(uniqueName('Replace'), people.slice(0, 2));
    expect(
      (await patch(group.id, [{ op: 'replace', path: 'members', value: people.slice(1, 3).map(member) }])).statusCode,
    ).toBe(204);
    expect(await memberIds(group.id)).toEqual(people.slice(1, 3));
    expect((await patch(group.id, [{ op: 'Replace', value: { members: [member(people[3]!)] } }])).statusCode).toBe(204);
    expect(await memberIds(group.id)).toEqual([people[3]]);
    expect((await patch(group.id, [{ op: 'remove', path: 'members' }])).statusCode).toBe(204);
    expect(await memberIds(group.id)).toEqual([]);
  });

  it('refuses an unknown member in a PATCH with 400 invalidValue, changing nothing', async () => {
    const [first, second] = await insertPeople(2);
    const group = await createGroup(uniqueName('Strict'), [first!]);
    const stranger = newId();
    const res = await patch(group.id, [
      { op: 'remove', path: `members[value eq "${first}"]` },
      { op: 'add', path: 'members', value: [member(second!), member(stranger)] },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining(stranger) });
    expect(await memberIds(group.id)).toEqual([first]);
  });

  it('refuses malformed operations with SCIM errors, never a 500', async () => {
    const group = await createGroup(uniqueName('Malformed'));
    const cases: unknown[][] = [
      [{ op: 'remove' }],
      [{ op: 'add', path: 'members', value: [{ display: 'no value' }] }],
      [{ op: 'add', path: 'members', value: 'not a list' }],
      [{ op: 'remove', path: 'members[display eq "x"]' }],
      [{ op: 'remove', path: 'members[value eq ' }],
      [{ op: 'replace', path: 'members[value eq "x"]', value: 'y' }],
      [{ op: 'replace', value: 'not an object' }],
      [{ op: 'replace', path: 'displayName', value: '' }],
      [{ op: 'move', path: 'members' }],
    ];
    for (const operations of cases) {
      const res = await patch(group.id, operations);
      expect(res.statusCode, JSON.stringify(operations)).toBe(400);
      expect(res.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.error], status: '400' });
    }
    expect((await patch(newId(), [{ op: 'add', path: 'members', value: [] }])).statusCode).toBe(404);
  });

  it('replaces name and members with PUT; a PUT without members keeps them', async () => {
    const people = await insertPeople(3);
    const group = await createGroup(uniqueName('Put'), people.slice(0, 2));
    const name = uniqueName('Put renamed');
    const res = await scim('PUT', `${GROUPS}/${group.id}`, {
      schemas: [SCIM_SCHEMAS.group],
      id: group.id,
      displayName: name,
      members: [member(people[2]!)],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: group.id, displayName: name, meta: { version: 'W/"2"' } });
    expect(res.json().members.map((m: { value: string }) => m.value)).toEqual([people[2]]);
    const bare = await scim('PUT', `${GROUPS}/${group.id}`, { schemas: [SCIM_SCHEMAS.group], displayName: name });
    expect(bare.statusCode).toBe(200);
    expect(await memberIds(group.id)).toEqual([people[2]]);
  });

  it('adds 5,000 members in one PATCH, in events of 500 changes', async () => {
    const people = await insertPeople(5000);
    const group = await createGroup(OWNERS);
    const after = await lastOutboxId();
    const res = await patch(group.id, [{ op: 'add', path: 'members', value: people.map(member) }]);
    expect(res.statusCode, res.body).toBe(204);
    expect(await memberIds(group.id)).toHaveLength(5000);
    const events = await directoryEvents(after);
    expect(events.map((event) => event.data.changes.length)).toEqual(Array(10).fill(DIRECTORY_CHANGES_PER_EVENT));
    expect(new Set(events.flatMap((event) => event.data.changes.map((c: { role: string }) => c.role)))).toEqual(
      new Set(['owner']),
    );
    // Removing one of the 5,000 touches one.
    const one = await lastOutboxId();
    expect((await patch(group.id, [{ op: 'remove', path: `members[value eq "${people[42]}"]` }])).statusCode).toBe(204);
    expect((await directoryEvents(one)).flatMap((event) => event.data.changes)).toHaveLength(1);
    expect(await memberIds(group.id)).toHaveLength(4999);
    await scim('DELETE', `${GROUPS}/${group.id}`);
  }, 60_000);
});
