import { notFound } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The address factor notices go to (read by SQL: factors/ sits below users/ in the layers). */
export async function accountAddress(em: EntityManager, userId: string): Promise<{ email: string; fullName: string }> {
  const [row]: Array<{ email: string; full_name: string }> = await em.execute(
    'select email, full_name from users where id = ?',
    [userId],
  );
  if (!row) throw notFound('User not found');
  return { email: row.email, fullName: row.full_name };
}
