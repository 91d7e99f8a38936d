import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP1 implements the bodies.

/**
 * Spends one unused recovery code of the account (normalised: case, spaces and hyphens ignored; a
 * guarded update so it is spent once). Queues the "a recovery code was used, N left" mail in `em`.
 */
export async function spendRecoveryCode(
  _ctx: IdentityContext,
  _em: EntityManager,
  _userId: string,
  _code: string,
): Promise<{ spent: boolean; left: number }> {
  throw new Error('not built yet');
}
