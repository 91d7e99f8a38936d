import { newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorContext } from '../src/build-context.js';
import { commit, type IdentityContext } from '../src/context.js';
import { resolveDirectoryToken } from '../src/directories/tokens.js';
import { issueToken } from '../src/one-time-tokens/service.js';
import { activitySuite, PASSWORD } from './activity-support.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/**
 * Recovery ends the SCIM tokens the person minted: whoever held the account may have minted one to keep
 * a way into the organization's provisioning. A signed-in password change (sign out everywhere) does not.
 */
let h: IdentityHarness;
let ctx: IdentityContext;
const { sql, call, member, activities } = activitySuite(() => h);

beforeAll(async () => {
  h = await startIdentity();
  ctx = operatorContext(h.service.deps);
});
afterAll(async () => {
  await h?.close();
});

async function directoryBy(owner: Awaited<ReturnType<typeof member>>, organizationId: string) {
  const res = await call('POST', `/api/user/organizations/${organizationId}/directories`, owner.principal, {
    name: 'Okta',
  });
  expect(res.statusCode, res.body).toBe(201);
  const { directory, token } = res.json().data as { directory: { id: string }; token: string };
  const [row] = await sql('select id, created_by_user_id from directory_tokens where directory_id = ?', [directory.id]);
  expect(row.created_by_user_id).toBe(owner.id);
  return { directoryId: directory.id, token, tokenId: row.id as string };
}

const resolves = async (token: string) => (await resolveDirectoryToken(ctx, token)).ok;

async function resetPassword(userId: string) {
  const token = await commit(ctx, (em) => issueToken(em, userId, 'reset_password', 3600));
  const res = await call(
    'POST',
    '/api/auth/reset-password',
    { kind: 'anonymous' },
    {
      token,
      newPassword: 'a-brand-new-passphrase',
    },
  );
  expect(res.statusCode, res.body).toBe(200);
}

describe('recovery and SCIM tokens', () => {
  it('a password reset ends the tokens the person minted, announced so gateways purge them', async () => {
    const organizationId = newId();
    const minter = await member(organizationId);
    const elsewhere = newId();
    const other = await member(elsewhere);
    const mine = await directoryBy(minter, organizationId);
    const theirs = await directoryBy(other, elsewhere);
    expect(await resolves(mine.token)).toBe(true);

    await resetPassword(minter.id);

    expect(await resolves(mine.token)).toBe(false);
    expect(await resolves(theirs.token)).toBe(true);
    const revoked = await sql(
      `select payload->'data' as data from outbox_events
        where subject = 'events.identity.credential.revoked' and payload->'data'->>'id' = ?`,
      [mine.tokenId],
    );
    expect(revoked.map((row) => row.data)).toEqual([{ kind: 'scim', id: mine.tokenId, userId: mine.directoryId }]);
  });

  it("records directory.token_rotated in the organization's log: why, and how many tokens are left", async () => {
    const organizationId = newId();
    const minter = await member(organizationId);
    const colleague = await member(organizationId);
    const untouched = newId();
    await directoryBy(await member(untouched), untouched);
    const { directoryId } = await directoryBy(minter, organizationId);
    // Rotated with overlap by the minter, then the colleague: the minter's second token and the colleague's are live.
    for (const who of [minter, colleague]) {
      const res = await call(
        'POST',
        `/api/user/organizations/${organizationId}/directories/${directoryId}/rotate-token`,
        who.principal,
        { overlapSeconds: 3600 },
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    const [{ live }] = await sql(
      'select count(*)::int as live from directory_tokens where directory_id = ? and (expires_at is null or expires_at > now())',
      [directoryId],
    );
    expect(live).toBe(2);

    await resetPassword(minter.id);

    const records = await activities({ targetId: directoryId, action: 'directory.token_rotated' });
    const recovery = records.filter((event) => event.data.changes?.reason);
    expect(recovery).toHaveLength(1);
    expect(recovery[0]?.data).toEqual({
      action: 'directory.token_rotated',
      organizationId,
      userId: minter.id,
      target: { type: 'directory', id: directoryId, name: 'Okta' },
      changes: { reason: { after: 'minter_recovered' }, liveTokens: { before: 2, after: 1 } },
      outcome: 'success',
    });
    expect(await activities({ userId: minter.id, action: 'directory.token_rotated' })).toHaveLength(1);
  });

  it('records nothing when the person minted no live token', async () => {
    const organizationId = newId();
    const owner = await member(organizationId);
    const bystander = await member(organizationId);
    const { directoryId } = await directoryBy(owner, organizationId);

    await resetPassword(bystander.id);

    const records = await activities({ targetId: directoryId, action: 'directory.token_rotated' });
    expect(records).toEqual([]);
  });

  it('a rotated token minted by someone else stays; a signed-in password change ends no token', async () => {
    const organizationId = newId();
    const first = await member(organizationId);
    const second = await member(organizationId);
    const { directoryId, token } = await directoryBy(first, organizationId);
    const rotated = await call(
      'POST',
      `/api/user/organizations/${organizationId}/directories/${directoryId}/rotate-token`,
      second.principal,
      { overlapSeconds: 0 },
    );
    expect(rotated.statusCode, rotated.body).toBe(200);
    const secondToken = rotated.json().data.token as string;
    expect(await resolves(token)).toBe(false);

    await resetPassword(first.id);
    expect(await resolves(secondToken)).toBe(true);

    const changed = await call('POST', '/api/auth/change-password', second.principal, {
      currentPassword: PASSWORD,
      newPassword: 'another-long-passphrase',
      revokeOtherSessions: true,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(await resolves(secondToken)).toBe(true);
  });
});
