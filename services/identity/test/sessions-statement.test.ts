import { createHash } from 'node:crypto';
import { newId } from '@gatehouse/contracts';
import { withEventContext } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorContext } from '../src/build-context.js';
import { commit, type IdentityContext } from '../src/context.js';
import { openPasswordSession } from '../src/sessions/password-session.js';
import { openSession } from '../src/sessions/sign-in.js';
import { loadUserForUpdate } from '../src/users/queries.js';
import { activitySuite, CLIENT } from './activity-support.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/*
 * A sign-in's writes by hand (sessions/sign-in-writes.ts) are the rows the unit of work wrote: the same
 * session, login-history row, `session.created` event and user answer, with only the token's hash stored.
 * The unit-of-work path is the reference: openSession takes it when the transaction holds the user.
 */
let h: IdentityHarness;
let ctx: IdentityContext;
const { sql, signUp } = activitySuite(() => h);
const client = { ip: CLIENT.clientIp, userAgent: CLIENT.userAgent };
const auth = { amr: ['pwd' as const] };
const login = { method: 'password' as const };
const context = { ip: CLIENT.clientIp, userAgent: CLIENT.userAgent, requestId: 'statement-suite' };

beforeAll(async () => {
  h = await startIdentity();
  ctx = operatorContext(h.service.deps);
});
afterAll(async () => {
  await h?.close();
});

/** What the rows of one sign-in hold, ids and instants made comparable. */
async function writtenFor(userId: string, sessionId: string) {
  const [session] = await sql(
    `select user_id, token_hash, ip, user_agent, revoked_at, sso_connection_id, amr, second_factor_at,
            extract(epoch from expires_at - created_at) as idle, extract(epoch from absolute_expires_at - created_at) as max,
            last_seen_at = created_at as fresh
       from sessions where id = ?`,
    [sessionId],
  );
  const logins = await sql(
    'select ip, user_agent, method, second_factor, success, failure_reason from login_events where user_id = ?',
    [userId],
  );
  const events = await sql(
    `select subject, payload, published_at is null or published_at is not null as stored, attempts >= 0 as counted
       from outbox_events where payload->'data'->'target'->>'id' = ?`,
    [sessionId],
  );
  const [event] = events;
  const { id: _id, occurredAt: _at, ...envelope } = event.payload;
  return { session, logins, events: events.length, event: { ...event, payload: envelope } };
}

/** The value with the account's and the session's ids replaced by placeholders. */
function named(value: unknown, userId: string, sessionId: string): unknown {
  return JSON.parse(JSON.stringify(value).replaceAll(userId, 'USER').replaceAll(sessionId, 'SESSION'));
}

/** The unit of work's rows and answer: the transaction holds the user, as a challenge's or SSO's does. */
function throughUnitOfWork(userId: string) {
  return withEventContext(context, () =>
    commit(ctx, async (em) => {
      await loadUserForUpdate(em, userId);
      return openSession(ctx, em, userId, client, auth, login);
    }),
  );
}

describe('identity: a session opened by one statement', () => {
  it('writes what the unit of work writes, in openSession and in the password sign-in of one statement', async () => {
    const reference = await signUp();
    const inTransaction = await signUp();
    const alone = await signUp();
    const byOrm = await throughUnitOfWork(reference.id);
    const byStatement = await withEventContext(context, () =>
      commit(ctx, (em) => openSession(ctx, em, inTransaction.id, client, auth, login)),
    );
    const byPassword = await withEventContext(context, () => openPasswordSession(ctx, alone.id, client));
    if (!byPassword) throw new Error('no session opened');
    const expected = await writtenFor(reference.id, byOrm.session.id);
    expect(expected.events).toBe(1);
    expect(expected.logins).toHaveLength(1);
    for (const [userId, opened] of [
      [inTransaction.id, byStatement],
      [alone.id, byPassword],
    ] as const) {
      const written = await writtenFor(userId, opened.session.id);
      expect({ ...written.session, user_id: 'x', token_hash: 'x' }).toEqual({
        ...expected.session,
        user_id: 'x',
        token_hash: 'x',
      });
      expect(written.logins).toEqual(expected.logins);
      expect(written.events).toBe(1);
      expect(named(written.event, userId, opened.session.id)).toEqual(
        named(expected.event, reference.id, byOrm.session.id),
      );
      // Only the token's sha256 is stored; the token is 256 random bits, base62.
      expect(written.session.token_hash).toBe(createHash('sha256').update(opened.token).digest('hex'));
      expect(opened.token).toMatch(/^[A-Za-z0-9]{43,}$/);
      // The answer's user is the row as updated, as the entity was after the flush.
      const [row] = await sql('select last_login_at, updated_at, full_name from users where id = ?', [userId]);
      expect(opened.user.lastLoginAt?.getTime()).toBe(new Date(row.last_login_at).getTime());
      expect(opened.user.updatedAt.getTime()).toBe(new Date(row.updated_at).getTime());
      expect(opened.user.fullName).toBe(row.full_name);
      expect(opened.user.passwordHash).toMatch(/^\$argon2id\$/);
    }
  });

  it('writes nothing for a deactivated account, and openSession refuses it as before', async () => {
    const user = await signUp();
    await sql('update users set is_active = false where id = ?', [user.id]);
    expect(await openPasswordSession(ctx, user.id, client)).toBeNull();
    await expect(commit(ctx, (em) => openSession(ctx, em, user.id, client, auth, login))).rejects.toMatchObject({
      code: 'USER_NOT_ACTIVE',
    });
    expect(await sql('select id from sessions where user_id = ?', [user.id])).toEqual([]);
    expect(await sql('select id from login_events where user_id = ?', [user.id])).toEqual([]);
    const [row] = await sql('select last_login_at from users where id = ?', [user.id]);
    expect(row.last_login_at).toBeNull();
  });

  it('leaves an account with a second factor to its challenge (recovery codes alone are none)', async () => {
    const totp = await signUp();
    const unconfirmed = await signUp();
    await sql(
      `insert into mfa_totp (user_id, secret_sealed, confirmed_at, created_at) values (?, 'x', now(), now()), (?, 'x', null, now())`,
      [totp.id, unconfirmed.id],
    );
    expect(await openPasswordSession(ctx, totp.id, client)).toBeNull();
    expect(await sql('select id from sessions where user_id = ?', [totp.id])).toEqual([]);
    expect(await openPasswordSession(ctx, unconfirmed.id, client)).not.toBeNull();

    const passkey = await signUp();
    const codesOnly = await signUp();
    await sql(
      `insert into mfa_passkeys (id, user_id, credential_id, public_key, device_type, backed_up, name, created_at)
       values (?, ?, ?, '\\x00', 'singleDevice', false, 'key', now())`,
      [newId(), passkey.id, `cred-${passkey.id}`],
    );
    await sql(`insert into mfa_recovery_codes (id, user_id, code_hash, created_at) values (?, ?, ?, now())`, [
      newId(),
      codesOnly.id,
      'a'.repeat(64),
    ]);
    expect(await openPasswordSession(ctx, passkey.id, client)).toBeNull();
    expect(await sql('select id from sessions where user_id = ?', [passkey.id])).toEqual([]);
    expect(await openPasswordSession(ctx, codesOnly.id, client)).not.toBeNull();
  });
});
