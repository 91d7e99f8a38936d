import { commit, type IdentityContext } from '../context.js';
import { assertionOptionsFor } from '../factors/passkeys.js';
import { factorsOf } from '../factors/status.js';
import { expiredChallenge, findByHandle, isOpen } from './handle.js';
import { type ChallengeAnswer, presentChallenge } from './open.js';

/**
 * A challenge read again (the console's second-factor page after an SSO redirect or a reload), with
 * fresh passkey options: the row keeps the new WebAuthn challenge, so only an assertion for these counts.
 */
export async function describeChallenge(ctx: IdentityContext, challengeId: string): Promise<ChallengeAnswer> {
  return commit(ctx, async (em) => {
    const row = await findByHandle(ctx, em, challengeId, ['sign_in', 'step_up']);
    if (!row?.userId || !isOpen(ctx, row)) throw expiredChallenge();
    const factors = await factorsOf(em, row.userId);
    const options = factors.includes('passkey') ? await assertionOptionsFor(ctx, em, row.userId) : undefined;
    row.webauthnChallenge = options?.challenge ?? null;
    return presentChallenge(ctx, row, challengeId, factors, options);
  });
}
