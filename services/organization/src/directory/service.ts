import type { EntityManager } from '@mikro-orm/postgresql';
import { DirectoryUserSchema } from './entities.js';

/**
 * Keeps the directory's copy of a user; verification, once learnt, is never unlearnt (events may arrive late).
 * A new row starts without a second factor (`mfa_enabled` defaults to false), which is right for a new account.
 */
export async function upsertDirectoryUser(
  em: EntityManager,
  user: { userId: string; email: string; name: string; isVerified?: boolean },
) {
  await em.execute(
    `insert into directory_users (user_id, email, name, is_verified) values (?, ?, ?, ?)
     on conflict (user_id) do update set email = excluded.email, name = excluded.name,
       is_verified = directory_users.is_verified or excluded.is_verified`,
    [user.userId, user.email, user.name, user.isVerified ?? false],
  );
}

/**
 * Whether the user has a second factor now (identity's user.security_changed). A user the directory does
 * not hold is skipped: identity publishes user.registered (which makes the row) before any factor can
 * exist, on the same stream, and the consumer takes events in order.
 */
export async function recordDirectoryUserMfa(em: EntityManager, userId: string, mfaEnabled: boolean) {
  await em.execute('update directory_users set mfa_enabled = ? where user_id = ?', [mfaEnabled, userId]);
}

export async function forgetDirectoryUser(em: EntityManager, userId: string) {
  await em.nativeDelete(DirectoryUserSchema, { userId });
}
