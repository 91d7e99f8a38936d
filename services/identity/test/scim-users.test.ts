import { randomBytes } from 'node:crypto';
import {
  type DirectoryPrincipal,
  newId,
  REVOKED_CREDENTIALS_HEADER,
  SCIM_MEDIA_TYPE,
  SCIM_SCHEMAS,
} from '@gatehouse/contracts';
import SCIMMY from 'scimmy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';
import { scimSuite } from './scim-support.js';

/**
 * /scim/v2/Users through the identity app, as the gateway forwards it: a directory's signed principal,
 * a directory row, a verified domain and accounts inserted directly.
 */
let h: IdentityHarness;
let principal: DirectoryPrincipal;
let organizationId: string;
const DOMAIN = 'acme-corp.example';
const USERS = '/scim/v2/Users';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const { sql, scim, insertDirectory, insertDomain } = scimSuite(
  () => h,
  () => principal,
);

/** An Okta-shaped create (Okta's SCIM 2.0 guide, "Create the user"). */
function oktaUser(local: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [SCIM_SCHEMAS.user],
    userName: `${local}@${DOMAIN}`,
    name: { givenName: local[0]!.toUpperCase() + local.slice(1), familyName: 'Tester' },
    emails: [{ primary: true, value: `${local}@${DOMAIN}`, type: 'work' }],
    displayName: `${local} Tester`,
    locale: 'en-US',
    externalId: `okta-${local}`,
    groups: [],
    password: 'hunter2-from-okta',
    active: true,
    ...extra,
  };
}

async function insertAccount(email: string, options: { verified?: boolean; active?: boolean } = {}) {
  const id = newId();
  await sql(
    `insert into users (id, email, password_hash, full_name, handle, is_verified, verified_at, is_active, created_at, updated_at)
     values (?, ?, 'old-hash', 'Someone', ?, ?, ?, ?, now(), now())`,
    [
      id,
      email,
      `h${id.toLowerCase()}`,
      options.verified ?? true,
      options.verified === false ? null : new Date(),
      options.active ?? true,
    ],
  );
  return id;
}

async function insertSession(userId: string) {
  const id = newId();
  await sql(
    `insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at)
     values (?, ?, ?, now(), now(), now() + interval '1 day', now() + interval '7 days')`,
    [id, userId, randomBytes(32).toString('hex')],
  );
  return id;
}

async function insertKey(userId: string, pinnedTo: string | null) {
  const id = `ak_${newId()}`;
  await sql(
    `insert into api_keys (id, user_id, name, key_hash, start, scopes, organization_id, enabled, created_at, updated_at)
     values (?, ?, 'key', ?, 'ba_', '[]', ?, true, now(), now())`,
    [id, userId, randomBytes(32).toString('hex'), pinnedTo],
  );
  return id;
}

/** A grant of `userId` to an app pinned to `pinnedTo`. */
async function insertPinnedGrant(userId: string, pinnedTo: string) {
  const appId = `app_${newId()}`;
  await sql(
    `insert into oauth_apps (id, owner_user_id, name, client_type, redirect_uris, allowed_scopes, token_auth_method, organization_id, created_at, updated_at)
     values (?, null, 'Pinned app', 'public', '[]', '[]', 'none', ?, now(), now())`,
    [appId, pinnedTo],
  );
  const grantId = newId();
  await sql(`insert into oidc_payloads (model, id, payload, account_id, client_id) values ('Grant', ?, '{}', ?, ?)`, [
    grantId,
    userId,
    appId,
  ]);
  return grantId;
}

async function createdUser(local: string, extra: Record<string, unknown> = {}) {
  const res = await scim('POST', USERS, oktaUser(local, extra));
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const accountOf = async (scimUserId: string) => {
  const [row] = await sql(
    'select u.*, s.owns_account from scim_users s join users u on u.id = s.user_id where s.id = ?',
    [scimUserId],
  );
  return row;
};

/** The role changes asked of organization for this account, oldest first. */
const roleChanges = async (userId: string) =>
  (
    await sql(
      `select c as change from outbox_events, jsonb_array_elements(payload->'data'->'changes') c
        where subject like '%directory.memberships_changed' and c->>'userId' = ? order by outbox_events.id`,
      [userId],
    )
  ).map((row) => row.change.role);

const revokedEvents = async (id: string) =>
  sql(`select payload from outbox_events where subject like '%credential.revoked' and payload->'data'->>'id' = ?`, [
    id,
  ]);

// scimmy's User schema knows the enterprise extension only when told (optional, RFC 7643 §4.3).
if (!SCIMMY.Schemas.User.definition.attributes.some((a) => (a as { id?: string }).id === SCIM_SCHEMAS.enterpriseUser)) {
  SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as never, false);
}

beforeAll(async () => {
  h = await startIdentity();
  organizationId = newId();
  const directoryId = await insertDirectory(organizationId);
  await insertDomain(organizationId, DOMAIN);
  await insertDomain(organizationId, 'unproven.example', false);
  principal = { kind: 'scim', credentialId: newId(), directoryId, organizationId };
});
afterAll(async () => {
  await h?.close();
});

describe('SCIM Users: provisioning', () => {
  it('creates an account for a new person: 201, Location, SCIM media type, no password kept or answered', async () => {
    const res = await scim('POST', USERS, oktaUser('ada'));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toContain(SCIM_MEDIA_TYPE);
    const user = res.json();
    expect(res.headers.location).toBe(`http://localhost:8080/scim/v2/Users/${user.id}`);
    expect(user).toMatchObject({
      schemas: [SCIM_SCHEMAS.user],
      userName: `ada@${DOMAIN}`,
      externalId: 'okta-ada',
      active: true,
      displayName: 'ada Tester',
      name: { givenName: 'Ada', familyName: 'Tester' },
      locale: 'en-US',
      groups: [],
      meta: { resourceType: 'User', location: res.headers.location, version: 'W/"1"' },
    });
    expect(res.body).not.toContain('hunter2');
    const [stored] = await sql('select resource::text as resource from scim_users where id = ?', [user.id]);
    expect(stored.resource).not.toContain('hunter2');
    const account = await accountOf(user.id);
    expect(account).toMatchObject({
      email: `ada@${DOMAIN}`,
      full_name: 'ada Tester',
      is_verified: false,
      is_active: true,
      owns_account: true,
    });
    // The account's password is random (argon2), never the one Okta sent.
    expect(account.password_hash).toMatch(/^\$argon2/);
    const registered = await sql(
      `select payload from outbox_events where subject like '%user.registered' and payload->'data'->>'userId' = ?`,
      [account.id],
    );
    expect(registered).toHaveLength(1);
    // organization is asked to add the member with the directory's default role.
    expect(await roleChanges(account.id)).toEqual(['member']);
    const [{ last_sync_at }] = await sql('select last_sync_at from directories where id = ?', [principal.directoryId]);
    expect(last_sync_at).not.toBeNull();
  });

  it('links an existing verified account without touching its credentials', async () => {
    const userId = await insertAccount(`grace@${DOMAIN}`);
    const session = await insertSession(userId);
    const user = await createdUser('grace');
    const account = await accountOf(user.id);
    expect(account).toMatchObject({ id: userId, owns_account: false, password_hash: 'old-hash', full_name: 'Someone' });
    const [row] = await sql('select revoked_at from sessions where id = ?', [session]);
    expect(row.revoked_at).toBeNull();
  });

  it('takes over an unverified account: every credential ends, the password is replaced', async () => {
    const userId = await insertAccount(`squatted@${DOMAIN}`, { verified: false });
    const session = await insertSession(userId);
    const key = await insertKey(userId, null);
    const user = await createdUser('squatted');
    const account = await accountOf(user.id);
    expect(account).toMatchObject({ id: userId, owns_account: false, is_verified: false });
    expect(account.password_hash).not.toBe('old-hash');
    const [row] = await sql('select revoked_at from sessions where id = ?', [session]);
    expect(row.revoked_at).not.toBeNull();
    expect(await sql('select 1 from api_keys where id = ?', [key])).toHaveLength(0);
    expect(await revokedEvents(key)).toHaveLength(1);
  });

  it('links a deactivated account and leaves it deactivated', async () => {
    const userId = await insertAccount(`gone@${DOMAIN}`, { active: false });
    const user = await createdUser('gone');
    expect(await accountOf(user.id)).toMatchObject({ id: userId, owns_account: false, is_active: false });
  });

  it('answers 409 uniqueness for the same userName (any case), externalId or account again', async () => {
    await createdUser('twice');
    const sameName = await scim('POST', USERS, oktaUser('twice', { userName: `TWICE@${DOMAIN}`, externalId: 'other' }));
    expect(sameName.statusCode).toBe(409);
    expect(sameName.headers['content-type']).toContain(SCIM_MEDIA_TYPE);
    expect(sameName.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.error], status: '409', scimType: 'uniqueness' });
    const sameExternal = await scim('POST', USERS, oktaUser('other', { externalId: 'okta-twice' }));
    expect(sameExternal.statusCode).toBe(409);
    expect(sameExternal.json().scimType).toBe('uniqueness');
    // Another userName, but the same address: the account is already this directory's.
    const sameAccount = await scim(
      'POST',
      USERS,
      oktaUser('twice', { userName: 'twice-again', externalId: 'okta-twice-again' }),
    );
    expect(sameAccount.statusCode).toBe(409);
    expect(sameAccount.json().scimType).toBe('uniqueness');
  });

  it('answers 409 to one of two simultaneous creates of the same person', async () => {
    const [first, second] = await Promise.all([
      scim('POST', USERS, oktaUser('racer')),
      scim('POST', USERS, oktaUser('racer')),
    ]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([201, 409]);
    expect(await sql('select 1 from scim_users where external_id = ?', ['okta-racer'])).toHaveLength(1);
  });

  it('refuses an address outside the verified domains with 400 invalidValue', async () => {
    for (const email of ['eve@unproven.example', 'eve@elsewhere.example', `x@evil.example@${DOMAIN}`]) {
      const res = await scim(
        'POST',
        USERS,
        oktaUser('eve', { userName: `eve-${email}`, externalId: email, emails: [{ value: email, primary: true }] }),
      );
      expect(res.statusCode, email).toBe(400);
      expect(res.json()).toMatchObject({ status: '400', scimType: 'invalidValue' });
    }
    const noAddress = await scim('POST', USERS, { schemas: [SCIM_SCHEMAS.user], userName: 'no-address' });
    expect(noAddress.statusCode).toBe(400);
    expect(noAddress.json().scimType).toBe('invalidValue');
    expect(await sql(`select 1 from users where email like 'eve@%'`)).toHaveLength(0);
  });

  it('chooses the primary address, else the work one, and takes Entra ID string booleans', async () => {
    // Entra ID's documented create: booleans as strings, enterprise extension by URN.
    const res = await scim('POST', USERS, {
      schemas: [SCIM_SCHEMAS.user, SCIM_SCHEMAS.enterpriseUser],
      externalId: 'entra-0a1b',
      userName: `Lin.Wu@${DOMAIN}`,
      active: 'False',
      emails: [
        { primary: 'false', type: 'home', value: 'lin@home.example' },
        { primary: 'True', type: 'work', value: `Lin.Wu@${DOMAIN.toUpperCase()}` },
      ],
      name: { formatted: 'Lin Wu', familyName: 'Wu', givenName: 'Lin' },
      [SCIM_SCHEMAS.enterpriseUser]: { department: 'Finance', manager: { value: 'mgr-1' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const user = res.json();
    expect(user).toMatchObject({
      schemas: [SCIM_SCHEMAS.user, SCIM_SCHEMAS.enterpriseUser],
      active: false,
      [SCIM_SCHEMAS.enterpriseUser]: { department: 'Finance', manager: { value: 'mgr-1' } },
    });
    // An independent SCIM implementation reads our answer as a User with the enterprise extension.
    const read = SCIMMY.Schemas.User.definition.coerce(user, 'out') as Record<string, unknown>;
    expect(read).toMatchObject({ id: user.id, userName: `Lin.Wu@${DOMAIN}`, active: false });
    // Provisioned inactive: the account exists but cannot be used, and is no member.
    expect(await accountOf(user.id)).toMatchObject({
      email: `lin.wu@${DOMAIN}`,
      full_name: 'Lin Wu',
      is_active: false,
    });
  });

  it('answers SCIM errors for bodies that are not users, never a 500', async () => {
    const bodies: unknown[] = [
      {},
      { userName: 42 },
      { userName: 'x', active: 'maybe' },
      { userName: 'x', emails: 'not-a-list' },
      { userName: 'x', emails: [{ value: '' }] },
      { userName: 'x', name: 'just a string' },
      { userName: '   ' },
    ];
    for (const body of bodies) {
      const res = await scim('POST', USERS, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().schemas).toEqual([SCIM_SCHEMAS.error]);
    }
    // A lone surrogate is valid JSON but not storable (jsonb): refused, whether sent or patched in.
    const surrogate = await scim('POST', USERS, oktaUser('surrogate', { '\ud800': 'x', title: 'a\udfffb' }));
    expect(surrogate.statusCode).toBe(400);
    expect(surrogate.json().scimType).toBe('invalidValue');
    const target = await createdUser('surrogate');
    const patched = await scim('PATCH', `${USERS}/${target.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: '\ud800', value: 'x' }],
    });
    expect(patched.statusCode).toBe(400);
    const malformed = await h.service.app.inject({
      method: 'POST',
      url: USERS,
      headers: { ...(await h.service.as(principal)), 'content-type': SCIM_MEDIA_TYPE },
      payload: '{"userName":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().schemas).toEqual([SCIM_SCHEMAS.error]);
  });
});

describe('SCIM Users: reads', () => {
  it('reads a user by id; another directory, a tombstone or a made-up id is 404', async () => {
    const user = await createdUser('reader');
    const res = await scim('GET', `${USERS}/${user.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(user);
    const other: DirectoryPrincipal = { ...principal, directoryId: newId() };
    expect((await scim('GET', `${USERS}/${user.id}`, undefined, other)).statusCode).toBe(404);
    const unknown = await scim('GET', `${USERS}/${'x'.repeat(200)}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.error], status: '404' });
  });

  it('shows the groups a user is in (read-only: a PUT does not change them); DELETE takes the user out', async () => {
    const user = await createdUser('grouped');
    const groupId = newId();
    await sql(
      `insert into scim_groups (id, directory_id, display_name, resource, created_at, updated_at)
       values (?, ?, 'Engineering', '{}', now(), now())`,
      [groupId, principal.directoryId],
    );
    await sql('insert into scim_group_members (group_id, scim_user_id) values (?, ?)', [groupId, user.id]);
    const read = (await scim('GET', `${USERS}/${user.id}`)).json();
    expect(read.groups).toEqual([
      { value: groupId, display: 'Engineering', $ref: `http://localhost:8080/scim/v2/Groups/${groupId}` },
    ]);
    const put = await scim('PUT', `${USERS}/${user.id}`, oktaUser('grouped', { groups: [] }));
    expect(put.json().groups).toHaveLength(1);
    expect((await scim('DELETE', `${USERS}/${user.id}`)).statusCode).toBe(204);
    expect(await sql('select 1 from scim_group_members where group_id = ?', [groupId])).toHaveLength(0);
  });

  it('answers only the attributes asked for, or all but the excluded ones', async () => {
    const user = await createdUser('projected');
    const only = (await scim('GET', `${USERS}/${user.id}?attributes=userName,name.givenName`)).json();
    expect(Object.keys(only).sort()).toEqual(['id', 'meta', 'name', 'schemas', 'userName']);
    expect(only.name).toEqual({ givenName: 'Projected' });
    const without = (await scim('GET', `${USERS}/${user.id}?excludedAttributes=groups,emails`)).json();
    expect(without).not.toHaveProperty('groups');
    expect(without).not.toHaveProperty('emails');
    expect(without.userName).toBe(`projected@${DOMAIN}`);
    const listed = (
      await scim('GET', `${USERS}?filter=${encodeURIComponent(`externalId eq "okta-projected"`)}&attributes=userName`)
    ).json();
    expect(listed.Resources).toEqual([
      { schemas: [SCIM_SCHEMAS.user], id: user.id, userName: user.userName, meta: user.meta },
    ]);
  });

  it('lists with Okta’s userName filter before create: 1 for a known user, 0 otherwise', async () => {
    const user = await createdUser('filtered');
    const found = await scim('GET', `${USERS}?filter=${encodeURIComponent(`userName eq "FILTERED@${DOMAIN}"`)}`);
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toMatchObject({
      schemas: [SCIM_SCHEMAS.listResponse],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
      Resources: [{ id: user.id, userName: `filtered@${DOMAIN}` }],
    });
    const none = await scim('GET', `${USERS}?filter=${encodeURIComponent('userName eq "nobody@acme-corp.example"')}`);
    expect(none.json()).toMatchObject({ totalResults: 0, Resources: [] });
    const bad = await scim('GET', `${USERS}?filter=${encodeURIComponent('userName wat "x"')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().scimType).toBe('invalidFilter');
  });

  it('pages in a stable order with startIndex and count', async () => {
    const all = (await scim('GET', `${USERS}?count=200`)).json();
    expect(all.totalResults).toBeGreaterThan(3);
    const page = (await scim('GET', `${USERS}?startIndex=2&count=2`)).json();
    expect(page).toMatchObject({ totalResults: all.totalResults, startIndex: 2, itemsPerPage: 2 });
    expect(page.Resources.map((r: { id: string }) => r.id)).toEqual(
      all.Resources.slice(1, 3).map((r: { id: string }) => r.id),
    );
    const countOnly = (await scim('GET', `${USERS}?count=0`)).json();
    expect(countOnly).toMatchObject({ totalResults: all.totalResults, itemsPerPage: 0, Resources: [] });
    expect(JSON.stringify(all)).not.toContain('password');
  });
});

describe('SCIM Users: input no parser should see', () => {
  it('refuses control characters in a filter or a PATCH path before parsing (the tokenizer backtracks on them)', async () => {
    // An unclosed quote and 40 newlines: exponential in the filter library's tokenizer, so refused first.
    const filter = encodeURIComponent(`userName eq "${'\n'.repeat(40)}`);
    const listed = await scim('GET', `${USERS}?filter=${filter}`);
    expect(listed.statusCode, listed.body).toBe(400);
    expect(listed.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.error], status: '400' });
    const user = await createdUser('controlled');
    const patched = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [SCIM_SCHEMAS.patchOp],
      Operations: [{ op: 'remove', path: `emails[type eq "${'\n'.repeat(40)}]` }],
    });
    expect(patched.statusCode, patched.body).toBe(400);
  });

  it('refuses a date PostgreSQL cannot hold as the filter error it is', async () => {
    for (const date of ['-200000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z']) {
      const res = await scim('GET', `${USERS}?filter=${encodeURIComponent(`meta.created gt "${date}"`)}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ scimType: 'invalidFilter' });
    }
  });
});

describe('SCIM Users: updates', () => {
  it('PUT replaces the user (Okta sends it whole) and renames the account it owns', async () => {
    const user = await createdUser('putter');
    const res = await scim(
      'PUT',
      `${USERS}/${user.id}`,
      oktaUser('putter', { displayName: 'Putter Renamed', locale: undefined, title: 'Engineer' }),
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ displayName: 'Putter Renamed', title: 'Engineer', meta: { version: 'W/"2"' } });
    expect(body.locale).toBeUndefined();
    expect((await accountOf(user.id)).full_name).toBe('Putter Renamed');
    // The same PUT again changes nothing: same version.
    const again = await scim(
      'PUT',
      `${USERS}/${user.id}`,
      oktaUser('putter', { displayName: 'Putter Renamed', locale: undefined, title: 'Engineer' }),
    );
    expect(again.json().meta.version).toBe('W/"2"');
  });

  it('does not rename a linked account', async () => {
    await insertAccount(`linked@${DOMAIN}`);
    const user = await createdUser('linked');
    await scim('PUT', `${USERS}/${user.id}`, oktaUser('linked', { displayName: 'Directory Name' }));
    expect((await accountOf(user.id)).full_name).toBe('Someone');
  });

  it('PUT to a taken userName or externalId is 409, to an unverified domain 400', async () => {
    await createdUser('holder');
    const user = await createdUser('mover');
    const takenName = await scim('PUT', `${USERS}/${user.id}`, oktaUser('mover', { userName: `Holder@${DOMAIN}` }));
    expect(takenName.statusCode).toBe(409);
    expect(takenName.json().scimType).toBe('uniqueness');
    const takenExternal = await scim('PUT', `${USERS}/${user.id}`, oktaUser('mover', { externalId: 'okta-holder' }));
    expect(takenExternal.statusCode).toBe(409);
    const outside = await scim(
      'PUT',
      `${USERS}/${user.id}`,
      oktaUser('mover', { emails: [{ value: 'mover@unproven.example', primary: true }] }),
    );
    expect(outside.statusCode).toBe(400);
    expect(outside.json().scimType).toBe('invalidValue');
    expect((await scim('GET', `${USERS}/${user.id}`)).json().meta.version).toBe('W/"1"');
  });

  it('PATCH takes Entra ID’s capitalised ops, replace without a path and "False" strings', async () => {
    const user = await createdUser('patcher');
    // Entra ID's documented user update bodies.
    const res = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'displayName', value: 'Patched Name' },
        { op: 'Add', path: `${SCIM_SCHEMAS.enterpriseUser}:department`, value: 'Research' },
        { op: 'replace', value: { 'name.givenName': 'Patty', title: 'Lead' } },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      displayName: 'Patched Name',
      name: { givenName: 'Patty', familyName: 'Tester' },
      title: 'Lead',
      [SCIM_SCHEMAS.enterpriseUser]: { department: 'Research' },
      meta: { version: 'W/"2"' },
    });
    expect((await accountOf(user.id)).full_name).toBe('Patched Name');
    const deactivated = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(deactivated.statusCode, deactivated.body).toBe(200);
    expect(deactivated.json().active).toBe(false);
    // Retried: nothing changes the second time.
    const retried = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(retried.json().meta.version).toBe(deactivated.json().meta.version);
  });

  it('PATCH that would leave an invalid user is 400, and changes nothing', async () => {
    const user = await createdUser('broken');
    const removeName = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: 'userName' }],
    });
    expect(removeName.statusCode).toBe(400);
    expect(removeName.json().schemas).toEqual([SCIM_SCHEMAS.error]);
    const badActive = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: 'perhaps' }],
    });
    expect(badActive.statusCode).toBe(400);
    expect((await scim('GET', `${USERS}/${user.id}`)).json().meta.version).toBe('W/"1"');
  });
});

describe('SCIM Users: deprovisioning', () => {
  it('active false: the owned account is deactivated, sessions end, the pinned key and grant go, the membership row too', async () => {
    const user = await createdUser('leaver');
    const { id: userId } = await accountOf(user.id);
    const session = await insertSession(userId);
    const pinnedKey = await insertKey(userId, organizationId);
    const grant = await insertPinnedGrant(userId, organizationId);
    await sql('insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)', [
      organizationId,
      userId,
      'member',
    ]);
    const res = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().active).toBe(false);
    expect((await accountOf(user.id)).is_active).toBe(false);
    const [row] = await sql('select revoked_at from sessions where id = ?', [session]);
    expect(row.revoked_at).not.toBeNull();
    expect(await sql('select 1 from api_keys where id = ?', [pinnedKey])).toHaveLength(0);
    expect(await sql(`select 1 from oidc_payloads where model = 'Grant' and id = ?`, [grant])).toHaveLength(0);
    expect(await sql('select 1 from user_memberships where user_id = ?', [userId])).toHaveLength(0);
    for (const id of [session, pinnedKey, grant]) expect(await revokedEvents(id), id).toHaveLength(1);
    expect(await roleChanges(userId)).toEqual(['member', null]);
    // The gateway serving this request purges at once: the revoked ids ride on the answer.
    expect(String(res.headers[REVOKED_CREDENTIALS_HEADER] ?? '')).toContain(pinnedKey);

    // Reactivated: the account can be used again (the credentials stay ended).
    const back = await scim('PUT', `${USERS}/${user.id}`, oktaUser('leaver', { active: true }));
    expect(back.statusCode).toBe(200);
    expect(back.json().active).toBe(true);
    expect((await accountOf(user.id)).is_active).toBe(true);
    expect(await roleChanges(userId)).toEqual(['member', null, 'member']);
  });

  it('a PUT without active or a PATCH removing it leaves a deprovisioned person deprovisioned', async () => {
    const user = await createdUser('dormant');
    const off = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [SCIM_SCHEMAS.patchOp],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(off.statusCode, off.body).toBe(200);
    const { active: _active, ...withoutActive } = oktaUser('dormant', { displayName: 'Dormant Renamed' });
    const put = await scim('PUT', `${USERS}/${user.id}`, withoutActive);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().active).toBe(false);
    const removed = await scim('PATCH', `${USERS}/${user.id}`, {
      schemas: [SCIM_SCHEMAS.patchOp],
      Operations: [{ op: 'remove', path: 'active' }],
    });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().active).toBe(false);
    expect((await accountOf(user.id)).is_active).toBe(false);
    const [row] = await sql('select role from scim_users where id = ?', [user.id]);
    expect(row.role).toBeNull();
  });

  it('active false on a linked account: only what is pinned to the organization goes', async () => {
    const userId = await insertAccount(`partner@${DOMAIN}`);
    const user = await createdUser('partner');
    const session = await insertSession(userId);
    // Pinned to this organization: it goes (the keys left are the other two).
    await insertKey(userId, organizationId);
    const otherKey = await insertKey(userId, newId());
    const ownKey = await insertKey(userId, null);
    await sql('insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)', [
      organizationId,
      userId,
      'member',
    ]);
    const res = await scim('PUT', `${USERS}/${user.id}`, oktaUser('partner', { active: false }));
    expect(res.statusCode).toBe(200);
    expect((await accountOf(user.id)).is_active).toBe(true);
    const [row] = await sql('select revoked_at from sessions where id = ?', [session]);
    expect(row.revoked_at).toBeNull();
    const keys = (await sql('select id from api_keys where user_id = ?', [userId])).map((k) => k.id).sort();
    expect(keys).toEqual([otherKey, ownKey].sort());
    expect(await sql('select 1 from user_memberships where user_id = ?', [userId])).toHaveLength(0);
  });

  it('DELETE keeps a tombstone: 204, then 404 for GET and DELETE, gone from lists; the same person can come back', async () => {
    const user = await createdUser('deleted');
    const { id: userId } = await accountOf(user.id);
    const res = await scim('DELETE', `${USERS}/${user.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const [row] = await sql('select deleted_at from scim_users where id = ?', [user.id]);
    expect(row.deleted_at).not.toBeNull();
    expect((await accountOf(user.id)).is_active).toBe(false);
    expect((await scim('GET', `${USERS}/${user.id}`)).statusCode).toBe(404);
    const second = await scim('DELETE', `${USERS}/${user.id}`);
    expect(second.statusCode).toBe(404);
    expect(second.json().schemas).toEqual([SCIM_SCHEMAS.error]);
    const listed = await scim('GET', `${USERS}?filter=${encodeURIComponent(`userName eq "deleted@${DOMAIN}"`)}`);
    expect(listed.json().totalResults).toBe(0);
    // Provisioned again: the account it created is still the directory's, and active again.
    const again = await createdUser('deleted');
    expect(again.id).not.toBe(user.id);
    expect(await accountOf(again.id)).toMatchObject({ id: userId, owns_account: true, is_active: true });
    expect(await roleChanges(userId)).toEqual(['member', null, 'member']);
  });
});
