import { AppError, type DirectoryPrincipal, newId, SCIM_MEDIA_TYPE, SCIM_SCHEMAS } from '@gatehouse/contracts';
import { createHttpApp, type HttpApp } from '@gatehouse/service-kit';
import SCIMMY from 'scimmy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectAttributes } from '../src/scim/attributes.js';
import { scimBoolean } from '../src/scim/booleans.js';
import { scimFilterSql } from '../src/scim/filter.js';
import { findScimPage, listResponse } from '../src/scim/list.js';
import { applyScimPatch } from '../src/scim/patch.js';
import { ScimError, sendScim, useScimProtocol } from '../src/scim/protocol.js';
import { SCHEMA_DEFINITIONS, type SchemaAttribute } from '../src/scim/schemas.js';
import { type IdentityHarness, startIdentity } from './harness.js';
import { scimSuite } from './scim-support.js';

/**
 * The SCIM protocol pieces: the filter compiler run against real scim_users / scim_groups rows in
 * identity's migrated database, the PATCH engine on Okta's and Entra ID's documented bodies,
 * attribute projection, and the error documents every /scim/v2 failure answers.
 */
let h: IdentityHarness;
let directoryId: string;
let otherDirectoryId: string;
const users: Record<string, string> = {};
const groups: Record<string, string> = {};

const suite = scimSuite(
  () => h,
  () => {
    throw new Error('these suites call no /scim/v2 route as a directory');
  },
);
const { sql } = suite;
const insertDirectory = () => suite.insertDirectory(newId());

interface UserFixture {
  userName: string;
  externalId?: string | null;
  active?: boolean;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  emails?: unknown;
  createdAt?: string;
  deleted?: boolean;
  resource?: Record<string, unknown>;
}

async function insertUser(directory: string, fixture: UserFixture): Promise<string> {
  const accountId = newId();
  await sql(
    `insert into users (id, email, password_hash, full_name, handle, is_verified, is_active, created_at, updated_at)
     values (?, ?, 'x', 'Someone', ?, true, true, now(), now())`,
    [accountId, `${accountId.toLowerCase()}@acme.example`, `h${accountId.toLowerCase()}`],
  );
  const id = newId();
  const emails = fixture.emails ?? [{ value: fixture.userName, type: 'work', primary: true }];
  await sql(
    `insert into scim_users (id, directory_id, user_id, user_name, external_id, active, display_name, given_name,
       family_name, email, resource, owns_account, created_at, updated_at, deleted_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, true, ?, ?, ?)`,
    [
      id,
      directory,
      accountId,
      fixture.userName,
      fixture.externalId ?? null,
      fixture.active ?? true,
      fixture.displayName ?? null,
      fixture.givenName ?? null,
      fixture.familyName ?? null,
      fixture.userName.toLowerCase(),
      JSON.stringify({ userName: fixture.userName, emails, ...fixture.resource }),
      fixture.createdAt ?? '2026-01-01T00:00:00Z',
      fixture.createdAt ?? '2026-01-01T00:00:00Z',
      fixture.deleted ? new Date() : null,
    ],
  );
  return id;
}

async function insertGroup(directory: string, displayName: string, members: string[], externalId?: string) {
  const id = newId();
  await sql(
    `insert into scim_groups (id, directory_id, display_name, external_id, resource, created_at, updated_at)
     values (?, ?, ?, ?, '{}'::jsonb, now(), now())`,
    [id, directory, displayName, externalId ?? null],
  );
  for (const member of members) {
    await sql('insert into scim_group_members (group_id, scim_user_id) values (?, ?)', [id, member]);
  }
  return id;
}

/** The names of the directory's users (or groups) the filter selects, sorted. */
async function matching(kind: 'users' | 'groups', filter: string, directory = directoryId): Promise<string[]> {
  const compiled = scimFilterSql(kind, filter);
  const table = kind === 'users' ? 'scim_users' : 'scim_groups';
  const name = kind === 'users' ? 'r.user_name' : 'r.display_name';
  const rows = await sql(
    `select ${name} as name from ${table} r where r.directory_id = ? and ${kind === 'users' ? 'r.deleted_at is null and ' : ''}(${compiled.sql}) order by 1`,
    [directory, ...compiled.params],
  );
  return rows.map((row) => row.name);
}

function scimErrorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

beforeAll(async () => {
  h = await startIdentity();
  directoryId = await insertDirectory();
  otherDirectoryId = await insertDirectory();
  users.ada = await insertUser(directoryId, {
    userName: 'Ada@Acme.example',
    externalId: 'okta-ada',
    displayName: 'Ada Lovelace',
    givenName: 'Ada',
    familyName: 'Lovelace',
    emails: [
      { value: 'ada@acme.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home' },
    ],
    createdAt: '2026-01-01T00:00:00Z',
    resource: {
      title: 'Countess',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
    },
  });
  users.grace = await insertUser(directoryId, {
    userName: 'grace@acme.example',
    externalId: 'OKTA-GRACE',
    displayName: 'Grace Hopper',
    givenName: 'Grace',
    familyName: 'Hopper',
    emails: [{ value: 'grace@acme.example', type: 'work', primary: 'True' }],
    createdAt: '2026-02-01T00:00:00Z',
  });
  users.linus = await insertUser(directoryId, {
    userName: 'linus_100%@acme.example',
    active: false,
    givenName: null,
    emails: [{ value: 'linus@home.example', type: 'home' }],
    createdAt: '2026-03-01T00:00:00Z',
  });
  users.gone = await insertUser(directoryId, { userName: 'gone@acme.example', deleted: true });
  users.elsewhere = await insertUser(otherDirectoryId, { userName: 'ada@acme.example', externalId: 'okta-ada' });
  groups.admins = await insertGroup(directoryId, 'Gatehouse Admins', [users.ada, users.grace], 'entra-admins');
  groups.staff = await insertGroup(directoryId, 'Staff', [users.grace, users.gone]);
  groups.empty = await insertGroup(directoryId, 'Empty', []);
});
afterAll(async () => {
  await h?.close();
});

describe('SCIM filters compiled to SQL', () => {
  it('compares userName case-insensitively, as Okta and Entra look people up', async () => {
    expect(await matching('users', 'userName eq "ada@acme.example"')).toEqual(['Ada@Acme.example']);
    expect(await matching('users', 'USERNAME EQ "ADA@ACME.EXAMPLE"')).toEqual(['Ada@Acme.example']);
    expect(
      await matching('users', 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "grace@acme.example"'),
    ).toEqual(['grace@acme.example']);
  });

  it('compares externalId and id exactly', async () => {
    expect(await matching('users', 'externalId eq "okta-ada"')).toEqual(['Ada@Acme.example']);
    expect(await matching('users', 'externalId eq "okta-grace"')).toEqual([]);
    expect(await matching('users', `id eq "${users.grace}"`)).toEqual(['grace@acme.example']);
  });

  it('knows co, sw, ew, pr and ne, and escapes LIKE wildcards', async () => {
    expect(await matching('users', 'displayName co "love"')).toEqual(['Ada@Acme.example']);
    expect(await matching('users', 'displayName sw "GRACE"')).toEqual(['grace@acme.example']);
    expect(await matching('users', 'userName ew "@ACME.example"')).toHaveLength(3);
    expect(await matching('users', 'userName co "100%"')).toEqual(['linus_100%@acme.example']);
    expect(await matching('users', 'userName co "_"')).toEqual(['linus_100%@acme.example']);
    expect(await matching('users', 'userName co "%"')).toEqual(['linus_100%@acme.example']);
    expect(await matching('users', 'displayName pr')).toEqual(['Ada@Acme.example', 'grace@acme.example']);
    // ne includes the user without a displayName (absent is not equal).
    expect(await matching('users', 'displayName ne "Ada Lovelace"')).toEqual([
      'grace@acme.example',
      'linus_100%@acme.example',
    ]);
    expect(await matching('users', 'name.givenName eq null')).toEqual(['linus_100%@acme.example']);
  });

  it('filters booleans, names and dates', async () => {
    expect(await matching('users', 'active eq false')).toEqual(['linus_100%@acme.example']);
    expect(await matching('users', 'active eq "True"')).toHaveLength(2);
    expect(await matching('users', 'name.familyName eq "hopper"')).toEqual(['grace@acme.example']);
    expect(await matching('users', 'name[givenName eq "Ada"]')).toEqual(['Ada@Acme.example']);
    expect(await matching('users', 'meta.created gt "2026-01-15T00:00:00Z"')).toEqual([
      'grace@acme.example',
      'linus_100%@acme.example',
    ]);
    expect(await matching('users', 'meta.lastModified le "2026-02-01T00:00:00Z"')).toEqual([
      'Ada@Acme.example',
      'grace@acme.example',
    ]);
    expect(await matching('users', 'title eq "countess"')).toEqual(['Ada@Acme.example']);
    expect(
      await matching('users', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"'),
    ).toEqual(['Ada@Acme.example']);
  });

  it('matches emails element by element', async () => {
    expect(await matching('users', 'emails.value eq "ada@home.example"')).toEqual(['Ada@Acme.example']);
    expect(await matching('users', 'emails eq "ADA@HOME.EXAMPLE"')).toEqual(['Ada@Acme.example']);
    expect(await matching('users', 'emails[type eq "work"].value eq "ada@acme.example"')).toEqual(['Ada@Acme.example']);
    // The same element must be the work one: Ada's home address is not a work address.
    expect(await matching('users', 'emails[type eq "work"].value eq "ada@home.example"')).toEqual([]);
    expect(await matching('users', 'emails[type eq "work" and value co "grace"]')).toEqual(['grace@acme.example']);
    expect(await matching('users', 'emails[primary eq true]')).toEqual(['Ada@Acme.example', 'grace@acme.example']);
    expect(await matching('users', 'emails[type eq "home"] and not (emails[type eq "work"])')).toEqual([
      'linus_100%@acme.example',
    ]);
    expect(await matching('users', 'emails[type eq "work"].value pr')).toEqual([
      'Ada@Acme.example',
      'grace@acme.example',
    ]);
  });

  it('combines with and, or, not and parentheses', async () => {
    expect(
      await matching('users', '(userName sw "ada" or userName sw "grace") and not (externalId eq "okta-ada")'),
    ).toEqual(['grace@acme.example']);
    expect(await matching('users', 'not (displayName eq "Grace Hopper")')).toEqual([
      'Ada@Acme.example',
      'linus_100%@acme.example',
    ]);
    expect(await matching('users', 'active eq true and displayName co "a" or userName sw "linus"')).toHaveLength(3);
  });

  it('filters groups by name, externalId and members', async () => {
    expect(await matching('groups', 'displayName eq "gatehouse admins"')).toEqual(['Gatehouse Admins']);
    expect(await matching('groups', 'externalId eq "entra-admins"')).toEqual(['Gatehouse Admins']);
    expect(await matching('groups', `members.value eq "${users.ada}"`)).toEqual(['Gatehouse Admins']);
    expect(await matching('groups', `members[value eq "${users.grace}"]`)).toEqual(['Gatehouse Admins', 'Staff']);
    // Entra ID asks "is this user in this group" as id and members.
    expect(await matching('groups', `id eq "${groups.staff}" and members eq "${users.grace}"`)).toEqual(['Staff']);
    // A tombstoned user is nobody's member.
    expect(await matching('groups', `members.value eq "${users.gone}"`)).toEqual([]);
    expect(await matching('groups', 'members pr')).toEqual(['Gatehouse Admins', 'Staff']);
    expect(await matching('groups', 'not (members pr)')).toEqual(['Empty']);
  });

  it('keeps values out of the SQL text', () => {
    const compiled = scimFilterSql('users', `userName eq "x' or 1=1 --" or displayName co "?"`);
    expect(compiled.sql).not.toContain('1=1');
    expect(compiled.params).toEqual([`x' or 1=1 --`, '%?%']);
  });

  it('refuses unknown attributes, operators and malformed filters with invalidFilter', () => {
    for (const filter of [
      'password eq "x"',
      'userName foo "x"',
      'userName eq',
      'userName eq "x" )',
      '(userName eq "x"',
      'emails[type eq "work"',
      'active co "t"',
      'meta.created gt "yesterday"',
      'meta.created sw "2026"',
      'userName gt 3',
      'emails[nope eq "x"]',
      'emails[members[value eq "x"]]',
      'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"',
      'userName eq "x" and',
      `${'not ('.repeat(40)}userName eq "x"${')'.repeat(40)}`,
    ]) {
      const error = scimErrorOf(() => scimFilterSql('users', filter));
      expect(error.status, filter).toBe(400);
      expect(error.scimType, filter).toBe('invalidFilter');
    }
    expect(scimErrorOf(() => scimFilterSql('groups', 'userName eq "x"')).scimType).toBe('invalidFilter');
  });
});

describe('SCIM list pages', () => {
  it('pages from 1 in creation order, skipping tombstones, one directory only', async () => {
    const all = await findScimPage(h.service.deps.orm.em.fork(), 'users', directoryId, {});
    expect(all).toEqual({ totalResults: 3, startIndex: 1, ids: [users.ada, users.grace, users.linus] });
    const second = await findScimPage(h.service.deps.orm.em.fork(), 'users', directoryId, { startIndex: 2, count: 1 });
    expect(second).toEqual({ totalResults: 3, startIndex: 2, ids: [users.grace] });
    const counted = await findScimPage(h.service.deps.orm.em.fork(), 'users', directoryId, { count: 0 });
    expect(counted).toEqual({ totalResults: 3, startIndex: 1, ids: [] });
    const past = await findScimPage(h.service.deps.orm.em.fork(), 'users', directoryId, { startIndex: 10 });
    expect(past).toEqual({ totalResults: 3, startIndex: 10, ids: [] });
    const filtered = await findScimPage(h.service.deps.orm.em.fork(), 'users', otherDirectoryId, {
      filter: 'externalId eq "okta-ada"',
    });
    expect(filtered.ids).toEqual([users.elsewhere]);
    const grouped = await findScimPage(h.service.deps.orm.em.fork(), 'groups', directoryId, { filter: 'members pr' });
    expect(grouped).toMatchObject({ totalResults: 2, ids: [groups.admins, groups.staff] });
  });

  it('answers a ListResponse', () => {
    expect(listResponse([{ id: 'a' }], { totalResults: 5, startIndex: 3 })).toEqual({
      schemas: [SCIM_SCHEMAS.listResponse],
      totalResults: 5,
      startIndex: 3,
      itemsPerPage: 1,
      Resources: [{ id: 'a' }],
    });
  });
});

describe('SCIM PATCH', () => {
  const user = () => ({
    schemas: [SCIM_SCHEMAS.user, SCIM_SCHEMAS.enterpriseUser],
    userName: 'ada@acme.example',
    active: true,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@acme.example', type: 'work', primary: true }],
  });
  const group = () => ({
    schemas: [SCIM_SCHEMAS.group],
    displayName: 'Engineering',
    members: [
      { value: 'u1', display: 'Ada' },
      { value: 'u2', display: 'Grace' },
    ],
  });

  it("applies Okta's deactivation and profile replace (no path, value map)", () => {
    const original = user();
    const patched = applyScimPatch(original, [{ op: 'replace', value: { active: false } }]);
    expect(patched.active).toBe(false);
    expect(original.active).toBe(true);
    const renamed = applyScimPatch(user(), [
      { op: 'replace', value: { name: { givenName: 'Augusta' }, 'name.familyName': 'King', displayName: 'A. King' } },
    ]);
    expect(renamed).toMatchObject({ name: { givenName: 'Augusta', familyName: 'King' }, displayName: 'A. King' });
  });

  it("applies Entra ID's user operations (capitalised ops, string booleans, filtered paths, URN keys)", () => {
    const patched = applyScimPatch(user(), [
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'augusta@acme.example' },
      { op: 'Replace', path: 'name.givenName', value: 'Augusta' },
      { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'R&D' },
      { op: 'Replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:displayName', value: 'Augusta' },
      {
        op: 'Add',
        value: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '42', nickName: 'Ada' },
      },
      { op: 'Add', path: 'emails[type eq "home"].value', value: 'ada@home.example' },
    ]);
    expect(patched.active).toBe('False');
    expect(patched.emails).toEqual([
      { value: 'augusta@acme.example', type: 'work', primary: true },
      { type: 'home', value: 'ada@home.example' },
    ]);
    expect(patched).toMatchObject({
      name: { givenName: 'Augusta', familyName: 'Lovelace' },
      displayName: 'Augusta',
      nickName: 'Ada',
      [SCIM_SCHEMAS.enterpriseUser]: { department: 'R&D', employeeNumber: '42' },
    });
  });

  it('treats attribute names case-insensitively', () => {
    const patched = applyScimPatch(user(), [
      { op: 'replace', path: 'USERNAME', value: 'augusta@acme.example' },
      { op: 'replace', path: 'Name.GivenName', value: 'Augusta' },
      { op: 'REPLACE', value: { DisplayName: 'Augusta' } },
    ]);
    expect(patched).toMatchObject({ userName: 'augusta@acme.example', name: { givenName: 'Augusta' } });
    expect((patched as Record<string, unknown>).displayName).toBe('Augusta');
    expect(Object.keys(patched)).not.toContain('USERNAME');
  });

  it("applies Okta's and Entra ID's group member operations, idempotently", () => {
    // Okta: add members, remove one by filter.
    const added = applyScimPatch(group(), [{ op: 'add', path: 'members', value: [{ value: 'u3', display: 'Linus' }] }]);
    expect(added.members.map((member) => member.value)).toEqual(['u1', 'u2', 'u3']);
    const again = applyScimPatch(added, [{ op: 'add', path: 'members', value: [{ value: 'u3' }, { value: 'u1' }] }]);
    expect(again.members).toEqual(added.members);
    const removed = applyScimPatch(added, [{ op: 'remove', path: 'members[value eq "u2"]' }]);
    expect(removed.members.map((member) => member.value)).toEqual(['u1', 'u3']);
    // Entra ID: Remove with a value list, by value (the stored item has a display too).
    const entra = applyScimPatch(group(), [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }]);
    expect(entra.members).toEqual([{ value: 'u2', display: 'Grace' }]);
    const retried = applyScimPatch(entra, [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }]);
    expect(retried.members).toEqual(entra.members);
    // Removing the last member unassigns the attribute; removing from nothing is a no-op.
    const emptied = applyScimPatch(entra, [{ op: 'remove', path: 'members[value eq "u2"]' }]);
    expect(emptied.members).toBeUndefined();
    expect(applyScimPatch(emptied, [{ op: 'remove', path: 'members[value eq "u2"]' }])).toEqual(emptied);
    // Adding to a group with no members, and a rename without a path (Okta).
    const started = applyScimPatch({ schemas: [SCIM_SCHEMAS.group], id: 'g0', displayName: 'New' }, [
      { op: 'add', path: 'members', value: [{ value: 'u9' }] },
      { op: 'replace', value: { id: 'g1', displayName: 'Renamed' } },
    ]);
    // The id Okta sends back is the server's: it does not change.
    expect(started).toMatchObject({ id: 'g0', displayName: 'Renamed', members: [{ value: 'u9' }] });
    // Replace the whole member list.
    const replaced = applyScimPatch(group(), [{ op: 'replace', path: 'members', value: [{ value: 'u7' }] }]);
    expect(replaced.members).toEqual([{ value: 'u7' }]);
    const cleared = applyScimPatch(group(), [{ op: 'remove', path: 'members' }]);
    expect(cleared.members).toBeUndefined();
  });

  it('refuses what cannot be applied with SCIM error types', () => {
    const cases: Array<[Parameters<typeof applyScimPatch>[1], string]> = [
      [[{ op: 'remove' }], 'noTarget'],
      [[{ op: 'move', path: 'userName', value: 'x' }], 'invalidSyntax'],
      [[{ op: 'replace', value: 'not an object' }], 'invalidValue'],
      [[{ op: 'add', path: 'userName' }], 'invalidValue'],
      [[{ op: 'replace', path: 'emails[type eq "other"]', value: { value: 'x' } }], 'noTarget'],
      [[{ op: 'replace', path: 'emails[type eq ', value: 'x' }], 'invalidPath'],
      [[{ op: 'add', path: '__proto__.polluted', value: 'yes' }], 'invalidPath'],
      [[{ op: 'add', value: { constructor: { prototype: { polluted: 'yes' } } } }], 'invalidPath'],
    ];
    for (const [operations, scimType] of cases) {
      const error = scimErrorOf(() => applyScimPatch(user(), operations));
      expect(error.status, JSON.stringify(operations)).toBe(400);
      expect(error.scimType, JSON.stringify(operations)).toBe(scimType);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('SCIM attributes and excludedAttributes', () => {
  const resource = {
    schemas: [SCIM_SCHEMAS.user],
    id: 'u1',
    userName: 'ada@acme.example',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@acme.example', type: 'work' }],
    [SCIM_SCHEMAS.enterpriseUser]: { department: 'R&D', costCenter: '7' },
    meta: { resourceType: 'User', location: 'http://x/Users/u1' },
  };

  it('keeps only what is asked, plus id, schemas and meta', () => {
    expect(projectAttributes(resource, { attributes: 'userName, name.givenName,emails.value' })).toEqual({
      schemas: resource.schemas,
      id: 'u1',
      meta: resource.meta,
      userName: 'ada@acme.example',
      name: { givenName: 'Ada' },
      emails: [{ value: 'ada@acme.example' }],
    });
    expect(
      projectAttributes(resource, {
        attributes: `${SCIM_SCHEMAS.user}:USERNAME,${SCIM_SCHEMAS.enterpriseUser}:department`,
      }),
    ).toEqual({
      schemas: resource.schemas,
      id: 'u1',
      meta: resource.meta,
      userName: 'ada@acme.example',
      [SCIM_SCHEMAS.enterpriseUser]: { department: 'R&D' },
    });
  });

  it('drops what is excluded, never id, schemas or meta', () => {
    const group = {
      schemas: [SCIM_SCHEMAS.group],
      id: 'g1',
      displayName: 'Staff',
      members: [{ value: 'u1' }],
      meta: {},
    };
    expect(projectAttributes(group, { excludedAttributes: 'members' })).toEqual({
      schemas: group.schemas,
      id: 'g1',
      displayName: 'Staff',
      meta: {},
    });
    expect(group.members).toHaveLength(1);
    const trimmed = projectAttributes(resource, { excludedAttributes: 'id,meta,name.familyName,emails.type' });
    expect(trimmed).toMatchObject({ id: 'u1', meta: resource.meta, name: { givenName: 'Ada' } });
    expect(trimmed.name).toEqual({ givenName: 'Ada' });
    expect(trimmed.emails).toEqual([{ value: 'ada@acme.example' }]);
    expect(projectAttributes(resource, {})).toBe(resource);
  });
});

describe('SCIM booleans', () => {
  it('takes booleans and their Entra spellings, nothing else', () => {
    expect(scimBoolean(true, 'active')).toBe(true);
    expect(scimBoolean('True', 'active')).toBe(true);
    expect(scimBoolean('FALSE', 'active')).toBe(false);
    for (const value of ['yes', 1, null, undefined, '']) {
      const error = scimErrorOf(() => scimBoolean(value, 'active'));
      expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', message: 'active: must be a boolean' });
    }
  });
});

describe('SCIM schema definitions', () => {
  // biome-ignore lint/suspicious/noExplicitAny: SCIMMY's described attributes
  type Described = any;
  const facts = (attribute: SchemaAttribute | Described) => ({
    type: attribute.type,
    multiValued: attribute.multiValued,
    mutability: attribute.mutability,
    returned: attribute.returned,
    ...(attribute.type !== 'complex' && attribute.type !== 'boolean' && { caseExact: attribute.caseExact }),
  });
  /** Where Gatehouse says more than RFC 7643 does: group names are unique per directory. */
  const deliberate = new Set(['Group.displayName']);

  it("say what RFC 7643 says (SCIMMY's definitions), attribute by attribute", () => {
    const rfc: Record<string, Described> = {
      [SCIM_SCHEMAS.user]: SCIMMY.Schemas.User.definition.describe(),
      [SCIM_SCHEMAS.enterpriseUser]: SCIMMY.Schemas.EnterpriseUser.definition.describe(),
      [SCIM_SCHEMAS.group]: SCIMMY.Schemas.Group.definition.describe(),
    };
    for (const definition of SCHEMA_DEFINITIONS) {
      const reference = JSON.parse(JSON.stringify(rfc[definition.id]));
      for (const attribute of definition.attributes) {
        const where = `${definition.name}.${attribute.name}`;
        const theirs = reference.attributes.find((candidate: Described) => candidate.name === attribute.name);
        expect(theirs, where).toBeDefined();
        expect(facts(attribute), where).toEqual(facts(theirs));
        if (!deliberate.has(where) && theirs.uniqueness) expect(attribute.uniqueness, where).toBe(theirs.uniqueness);
        if (theirs.required !== undefined) expect(attribute.required, where).toBe(theirs.required);
        for (const sub of attribute.subAttributes ?? []) {
          const theirSub = theirs.subAttributes.find((candidate: Described) => candidate.name === sub.name);
          expect(theirSub, `${where}.${sub.name}`).toBeDefined();
          expect(facts(sub), `${where}.${sub.name}`).toEqual(facts(theirSub));
        }
      }
    }
  });
});

describe('SCIM error documents', () => {
  let app: HttpApp;
  const directory = (): DirectoryPrincipal => ({
    kind: 'scim',
    credentialId: newId(),
    directoryId,
    organizationId: newId(),
  });

  beforeAll(async () => {
    // A bare app with a SCIM scope: the failures the protocol layer itself must shape.
    app = createHttpApp({ logger: h.service.deps.logger, bodyLimit: 1024 });
    await app.register(async (child) => {
      const scope = child as unknown as HttpApp;
      useScimProtocol(scope);
      scope.post(
        '/echo',
        { schema: { body: { type: 'object', properties: { userName: { type: 'string' } } } } },
        async (request, reply) => sendScim(reply, 201, { id: 'x', body: request.body }, 'http://x/Users/x'),
      );
      scope.delete('/nothing', async (_request, reply) => sendScim(reply, 204));
      scope.get('/throw/:kind', async (request) => {
        const { kind } = request.params as { kind: string };
        if (kind === 'scim') throw new ScimError(409, 'userName is taken', 'uniqueness');
        if (kind === 'limited') throw new AppError('RATE_LIMIT_ERROR', 'Slow down', { retryAfter: 7 });
        if (kind === 'unavailable') throw new AppError('SERVICE_UNAVAILABLE', 'NATS is away');
        if (kind === 'missing') throw new AppError('NOT_FOUND', 'User not found');
        if (kind === 'conflict') throw new AppError('CONFLICT', 'Taken', { reason: 'X' });
        if (kind === 'invalid') {
          throw new AppError('VALIDATION_ERROR', 'Validation failed', {
            errors: [{ field: 'emails', error: 'must hold a verified domain', location: 'body' }],
          });
        }
        throw new Error('secret stack detail');
      });
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const expectScimError = (
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
    scimType?: string,
  ) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/scim\+json/);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ schemas: [SCIM_SCHEMAS.error], status: String(status) });
    expect(body.scimType).toBe(scimType);
    expect(typeof body.detail).toBe('string');
    return body;
  };

  it('parses application/scim+json bodies and answers with it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': `${SCIM_MEDIA_TYPE}; charset=utf-8` },
      payload: JSON.stringify({ userName: 'ada' }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.headers.location).toBe('http://x/Users/x');
    expect(res.json()).toEqual({ id: 'x', body: { userName: 'ada' } });
    const json = await app.inject({ method: 'POST', url: '/echo', payload: { userName: 'ada' } });
    expect(json.statusCode).toBe(201);
    const empty = await app.inject({ method: 'DELETE', url: '/nothing' });
    expect(empty.statusCode).toBe(204);
    expect(empty.body).toBe('');
  });

  it('answers malformed input as SCIM errors', async () => {
    const post = (payload: string, contentType = SCIM_MEDIA_TYPE) =>
      app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': contentType }, payload });
    expectScimError(await post('{"userName":'), 400, 'invalidSyntax');
    expectScimError(await post('{"__proto__":{"x":1}}'), 400, 'invalidSyntax');
    expectScimError(await post('[1]'), 400, 'invalidSyntax');
    const typed = expectScimError(await post('{"userName":5}'), 400, 'invalidValue');
    expect(typed.detail).toBe('userName: must be string');
    expectScimError(await post('userName=x', 'text/plain'), 415);
    expectScimError(await post(JSON.stringify({ userName: 'x'.repeat(2000) })), 413);
  });

  it('maps ScimErrors, AppErrors and the unexpected', async () => {
    const get = (kind: string) => app.inject({ method: 'GET', url: `/throw/${kind}` });
    expect(expectScimError(await get('scim'), 409, 'uniqueness').detail).toBe('userName is taken');
    const limited = await get('limited');
    expectScimError(limited, 429);
    expect(limited.headers['retry-after']).toBe('7');
    const unavailable = await get('unavailable');
    expectScimError(unavailable, 503);
    expect(unavailable.headers['retry-after']).toBeDefined();
    expectScimError(await get('missing'), 404);
    expectScimError(await get('conflict'), 409, 'uniqueness');
    expect(expectScimError(await get('invalid'), 400, 'invalidValue').detail).toBe(
      'emails: must hold a verified domain',
    );
    const unexpected = expectScimError(await get('boom'), 500);
    expect(JSON.stringify(unexpected)).not.toContain('secret stack detail');
  });

  it('answers /scim/v2 through the identity app in SCIM, discovery included', async () => {
    const as = await h.service.as(directory());
    const config = await h.service.app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig', headers: as });
    expect(config.statusCode).toBe(200);
    expect(config.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(config.json()).toMatchObject({
      schemas: [SCIM_SCHEMAS.serviceProviderConfig],
      patch: { supported: true },
      filter: { supported: true, maxResults: 200 },
      bulk: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      changePassword: { supported: false },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
      meta: { location: 'http://localhost:8080/scim/v2/ServiceProviderConfig' },
    });
    const types = await h.service.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes', headers: as });
    expect(types.json()).toMatchObject({
      totalResults: 2,
      Resources: [
        {
          id: 'User',
          endpoint: '/Users',
          schemaExtensions: [{ schema: SCIM_SCHEMAS.enterpriseUser, required: false }],
        },
        { id: 'Group', endpoint: '/Groups' },
      ],
    });
    const userType = await h.service.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes/User', headers: as });
    expect(userType.json()).toMatchObject({ meta: { location: 'http://localhost:8080/scim/v2/ResourceTypes/User' } });
    const schemas = await h.service.app.inject({ method: 'GET', url: '/scim/v2/Schemas', headers: as });
    expect(schemas.json().Resources.map((schema: { id: string }) => schema.id)).toEqual([
      SCIM_SCHEMAS.user,
      SCIM_SCHEMAS.enterpriseUser,
      SCIM_SCHEMAS.group,
    ]);
    const userSchema = await h.service.app.inject({
      method: 'GET',
      url: `/scim/v2/Schemas/${SCIM_SCHEMAS.user}`,
      headers: as,
    });
    const userName = userSchema.json().attributes.find((attribute: { name: string }) => attribute.name === 'userName');
    expect(userName).toEqual(
      expect.objectContaining({
        type: 'string',
        multiValued: false,
        required: true,
        caseExact: false,
        mutability: 'readWrite',
        returned: 'default',
        uniqueness: 'server',
      }),
    );
    expectScimError(await h.service.app.inject({ method: 'GET', url: '/scim/v2/Schemas/urn:nope', headers: as }), 404);
    expectScimError(
      await h.service.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes/Nope', headers: as }),
      404,
    );
  });

  it('refuses a person, or no principal, on /scim/v2 with a SCIM error', async () => {
    expectScimError(await h.service.app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig' }), 401);
    const person = await h.service.as({
      kind: 'session',
      userId: newId(),
      credentialId: newId(),
      scopes: [],
      role: 'user',
    });
    expectScimError(
      await h.service.app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig', headers: person }),
      401,
    );
  });
});
