import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { activityEvent, queryRows } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { type UserRow, userFromRow } from '../users/view.js';
import { type ClientInfo, loginEvent, type SignInResult } from './service.js';
import { sessionCreated } from './sign-in.js';
import { sessionOpeningStatement } from './sign-in-writes.js';

/**
 * A proven password's session in one statement and no ORM transaction (issue #21): what openSession
 * writes for an account without a second factor (its `lastLoginAt`, the session, the login-history row,
 * `session.created` in the outbox), decided by the statement itself, which writes all of it or nothing.
 * Null when it wrote nothing: the account has a second factor (a challenge is due), or is deactivated or
 * gone since the password was checked; completeFirstFactor then answers exactly as it always did.
 */
export async function openPasswordSession(
  ctx: IdentityContext,
  userId: string,
  client: ClientInfo,
): Promise<SignInResult | null> {
  const now = new Date();
  const auth = { amr: ['pwd' as const] };
  const { token, session } = ctx.sessions.issue(userId, client, auth, now);
  const { sql, params } = sessionOpeningStatement({
    userId,
    now,
    session,
    login: loginEvent(userId, client, { success: true, method: 'password' }, now),
    event: activityEvent(EVENT_SUBJECTS.identityActivity, sessionCreated(userId, session.id, auth)),
    withoutSecondFactor: true,
  });
  // Outside a transaction: one statement on a pool connection of its own, committed when it answers.
  const [row] = await queryRows<UserRow>(ctx.deps.orm.em, sql, params);
  if (!row) return null;
  // As commit() does after a transaction that wrote an event (context.ts).
  ctx.deps.outbox.kick();
  return { token, session, user: userFromRow(row) };
}
