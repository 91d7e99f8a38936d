import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP1 implements the bodies.

/**
 * Checks a code against the account's confirmed authenticator app: ±1 step, each step usable once
 * (a guarded update of `last_used_step`, so two concurrent uses of one code cannot both pass). Re-seals
 * a secret sealed with an older key. False for a wrong, replayed or missing code; a secret that no
 * configured key opens is a logged error and an AppError SERVICE_UNAVAILABLE, never "wrong code".
 */
export async function checkTotp(
  _ctx: IdentityContext,
  _em: EntityManager,
  _userId: string,
  _code: string,
): Promise<boolean> {
  throw new Error('not built yet');
}
