import type { EntityManager } from '@mikro-orm/postgresql';
import { DirectoryUserSchema } from './entities.js';

/**
 * Keeps the directory's copy of a user; verification, once learnt, is never unlearnt (events may arrive late).
 * `mfaEnabled` is taken only when the event carries it (newer identity's user.updated); a new row
 * starts without a factor, which is right for a new account.
 */
export async function upsertDirectoryUser(
  em: EntityManager,
  user: { userId: string; email: string; name: string; isVerified?: boolean; mfaEnabled?: boolean },
) {
  await em.execute(
    `insert into directory_users (user_id, email, name, is_verified, mfa_enabled) values (?, ?, ?, ?, coalesce(?, false))
     on conflict (user_id) do update set email = excluded.email, name = excluded.name,
       is_verified = directory_users.is_verified or excluded.is_verified,
       mfa_enabled = coalesce(?, directory_users.mfa_enabled)`,
    [user.userId, user.email, user.name, user.isVerified ?? false, user.mfaEnabled ?? null, user.mfaEnabled ?? null],
  );
}

/**
 * Whether the user has a second factor now (identity's user.security_changed). A user the directory
 * does not hold yet is skipped: their row is made by user.registered, and identity's user.updated
 * carries the flag from then on.
 */
export async function recordDirectoryUserMfa(em: EntityManager, userId: string, mfaEnabled: boolean) {
  await em.execute('update directory_users set mfa_enabled = ? where user_id = ?', [mfaEnabled, userId]);
}

export async function forgetDirectoryUser(em: EntityManager, userId: string) {
  await em.nativeDelete(DirectoryUserSchema, { userId });
}
