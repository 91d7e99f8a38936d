import type { EntityManager } from '@mikro-orm/postgresql';
import { DirectoryUserSchema } from './entities.js';

/** Keeps the directory's copy of a user; verification, once learnt, is never unlearnt (events may arrive late). */
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

export async function forgetDirectoryUser(em: EntityManager, userId: string) {
  await em.nativeDelete(DirectoryUserSchema, { userId });
}
