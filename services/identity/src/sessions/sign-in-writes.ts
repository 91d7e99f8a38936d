import { type NewOutboxEvent, OutboxEventSchema, queryRows } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from '../users/entities.js';
import { USER_COLUMNS, type UserRow, userFromRow } from '../users/view.js';
import type { LoginEvent, Session } from './entities.js';

/*
 * A sign-in's writes by hand (issue #21: through the unit of work they cost ~10 ms of CPU besides the
 * hash): the user's `lastLoginAt`, the session, its login-history row and its outbox event in one
 * statement. A single statement commits or fails as a whole, and it runs in the caller's transaction,
 * so the event exists exactly when the session does, as recordActivity would have written it.
 */

/** What a session opening writes, every value made by the caller (ids, the token's hash, the event). */
export interface SessionOpening {
  userId: string;
  now: Date;
  session: Session;
  login: LoginEvent;
  event: NewOutboxEvent;
  /**
   * Write only for an account without a second factor (a confirmed authenticator app or a passkey, as
   * factorsFrom counts them): a password sign-in decided in the same statement (password-session.ts).
   */
  withoutSecondFactor?: boolean;
}

/** No second factor a sign-in would have to ask for (factors/status.ts: recovery codes alone are none). */
const WITHOUT_SECOND_FACTOR = `
  and not exists (select 1 from mfa_totp t where t.user_id = u.id and t.confirmed_at is not null)
  and not exists (select 1 from mfa_passkeys p where p.user_id = u.id)`;

/** A text[] literal of the session's `amr` (fixed RFC 8176 names, quoted anyway), as ArrayType writes it. */
function textArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * The statement: the user row is updated only while the account is active (under its row lock), and the
 * three inserts take their user from that update, so an account deactivated (or deleted) meanwhile gets
 * nothing written and no row answered. Otherwise it answers the user as updated.
 */
export function sessionOpeningStatement({ userId, now, session, login, event, withoutSecondFactor }: SessionOpening): {
  sql: string;
  params: unknown[];
} {
  const sql = `with
    signed_in as (
      update users u set last_login_at = ?, updated_at = ?
      where u.id = ? and u.is_active ${withoutSecondFactor ? WITHOUT_SECOND_FACTOR : ''}
      returning ${USER_COLUMNS}),
    opened as (
      insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at,
        ip, user_agent, revoked_at, sso_connection_id, amr, second_factor_at)
      select ?, signed_in.id, ?, ?, ?, ?, ?, ?, ?, null, ?, ?::text[], ? from signed_in),
    logged as (
      insert into login_events (id, user_id, at, ip, user_agent, method, second_factor, success, failure_reason)
      select ?, signed_in.id, ?, ?, ?, ?, ?, ?, ? from signed_in),
    recorded as (
      insert into outbox_events (id, subject, payload, created_at, published_at, attempts)
      select ?, ?, ?::jsonb, ?, null, 0 from signed_in)
    select * from signed_in`;
  const params = [
    now,
    now,
    userId,
    session.id,
    session.tokenHash,
    session.createdAt,
    session.lastSeenAt,
    session.expiresAt,
    session.absoluteExpiresAt,
    session.ip,
    session.userAgent,
    session.ssoConnectionId ?? null,
    textArray(session.amr),
    session.secondFactorAt,
    login.id,
    login.at,
    login.ip,
    login.userAgent,
    login.method,
    login.secondFactor,
    login.success,
    login.failureReason,
    event.id,
    event.subject,
    JSON.stringify(event.payload),
    event.createdAt,
  ];
  return { sql, params };
}

/**
 * Runs the statement in the caller's transaction; the user as updated, or null when nothing was written
 * (the account is gone or not active: the caller answers that as it always did). The event's row is made
 * known to the unit of work, as if the ORM had written it: commit() kicks the relay after a transaction
 * that wrote an event (context.ts), and the entity, unchanged, is not written again.
 */
export async function writeSessionOpening(em: EntityManager, opening: SessionOpening): Promise<User | null> {
  const { sql, params } = sessionOpeningStatement(opening);
  const [row] = await queryRows<UserRow>(em, sql, params);
  if (!row) return null;
  const { event } = opening;
  em.map(OutboxEventSchema, {
    id: event.id,
    subject: event.subject,
    payload: event.payload,
    created_at: event.createdAt,
    published_at: null,
    attempts: 0,
  });
  return userFromRow(row);
}
