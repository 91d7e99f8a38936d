import type { EntityManager } from '@mikro-orm/postgresql';
import { fitsId, fitText } from '../records/append.js';

/** A person as the audit service knows them (table `people`, kept from identity's user events). */
export interface Person {
  userId: string;
  email: string;
  name: string;
}

/** The widths of `people`: a longer value is cut rather than the event held back. */
const EMAIL_WIDTH = 320;
const NAME_WIDTH = 200;

export async function personOf(em: EntityManager, userId: string): Promise<Person | null> {
  const rows = (await em.execute('select user_id, email, name from people where user_id = ?', [userId])) as {
    user_id: string;
    email: string;
    name: string;
  }[];
  const [row] = rows;
  return row ? { userId: row.user_id, email: row.email, name: row.name } : null;
}

/** The person's name, for a record's actor or target; null for someone the audit service never heard of. */
export async function nameOf(em: EntityManager, userId: string | null | undefined): Promise<string | null> {
  if (!userId) return null;
  return (await personOf(em, userId))?.name ?? null;
}

/** A user id that is no id (a producer's bug) is not kept: the event must not be held back by it. */
export async function keepPerson(em: EntityManager, person: Person): Promise<void> {
  if (!fitsId(person.userId)) return;
  await em.execute(
    `insert into people (user_id, email, name) values (?, ?, ?)
     on conflict (user_id) do update set email = excluded.email, name = excluded.name`,
    [person.userId, fitText(person.email, EMAIL_WIDTH), fitText(person.name, NAME_WIDTH)],
  );
}

export async function forgetPerson(em: EntityManager, userId: string): Promise<void> {
  await em.execute('delete from people where user_id = ?', [userId]);
}
