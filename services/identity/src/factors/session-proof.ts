import type { Amr } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Records in the session's row that it just proved a second factor (enrolment, step-up): `method` and
 * `mfa` join its amr, and second_factor_at is now. By SQL so factors/ need not import sessions/.
 */
export async function markSecondFactor(em: EntityManager, sessionId: string, method: Amr): Promise<void> {
  await em.execute(
    `update sessions
        set amr = array(select value from unnest(amr || array[?, 'mfa']::text[]) with ordinality as t(value, place)
                         group by value order by min(place)),
            second_factor_at = now()
      where id = ?`,
    [method, sessionId],
  );
}
