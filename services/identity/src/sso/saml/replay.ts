import { commit, type IdentityContext } from '../../context.js';
import { ssoRefused } from '../refusal.js';

/**
 * Records the assertion as accepted, once: a second post of the same assertion (a stolen or
 * re-submitted form) is refused. Rows outlive the assertion's own validity by nothing more, and
 * expired ones are swept on the way.
 */
export async function acceptAssertionOnce(
  ctx: IdentityContext,
  connectionId: string,
  assertionId: string,
  acceptableUntil: Date,
): Promise<void> {
  const inserted = await commit(ctx, async (em) => {
    const connection = em.getConnection();
    await connection.execute('delete from saml_assertion_replays where expires_at < now()');
    return connection.execute(
      `insert into saml_assertion_replays (connection_id, assertion_id, expires_at) values (?, ?, ?)
       on conflict (connection_id, assertion_id) do nothing returning assertion_id`,
      [connectionId, assertionId, acceptableUntil],
    );
  });
  if (inserted.length === 0) {
    throw ssoRefused('SAML_ASSERTION_REPLAYED', 'This SAML assertion was already used; sign in again');
  }
}
