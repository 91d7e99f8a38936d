import type { Principal } from '@gatehouse/contracts';
import { randomSecret } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { queuePasswordReset, queueVerification } from '../one-time-tokens/links.js';
import { consumeToken } from '../one-time-tokens/service.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import { announceUserUpdated } from '../users/announce.js';
import type { User } from '../users/entities.js';
import { findUserByEmail, getUser } from '../users/queries.js';

/**
 * The link proves who holds the address, not who made the account: anyone can sign up with
 * someone else's address. So verifying an unverified account ends every credential of it,
 * unless the request comes with a session of that same account (its maker is the one proving
 * the address). `credentialsEnded` tells the caller which happened.
 */
export async function verifyEmail(ctx: IdentityContext, token: string, caller: Principal, requestId: string) {
  return commit(ctx, async (em) => {
    const userId = await consumeToken(em, 'verify_email', token);
    const user = await getUser(em, userId);
    let credentialsEnded = false;
    if (!user.isVerified) {
      const ownSession = caller.kind === 'session' && caller.userId === userId;
      if (ownSession) markVerified(em, user, requestId);
      else {
        await takeOverUnverified(ctx, em, user, requestId);
        // The address's owner sets a password from the mailed link.
        await queuePasswordReset(ctx, em, user);
        credentialsEnded = true;
      }
    }
    return {
      email: user.email,
      isVerified: true,
      verifiedAt: user.verifiedAt?.toISOString() ?? null,
      credentialsEnded,
    };
  });
}

/**
 * A link mailed to the address reached its owner, who may not be whoever made the account: the account is
 * verified, and what its maker set up ends — sessions, keys, grants, second factors, and the password (a
 * random one nobody knows replaces it, so the maker cannot get back in). Hashed only once the link proved
 * valid: a bogus token costs no argon2 work.
 */
export async function takeOverUnverified(
  ctx: IdentityContext,
  em: EntityManager,
  user: User,
  requestId: string,
): Promise<void> {
  markVerified(em, user, requestId);
  await endEveryCredential(ctx, em, user.id, { requestId, forgetFactors: true });
  user.passwordHash = await ctx.hasher.hash(randomSecret(32));
  user.updatedAt = new Date();
}

/** The address is proven (a verification or a reset link reached it); announced as a user update. */
export function markVerified(em: EntityManager, user: User, requestId: string): void {
  user.isVerified = true;
  user.verifiedAt = new Date();
  announceUserUpdated(em, user, requestId);
}

/** Answers the same whether or not the address has an account (no enumeration). */
export async function resendVerification(ctx: IdentityContext, email: string): Promise<void> {
  const user = await findUserByEmail(readEm(ctx), email);
  if (!user || user.isVerified || !user.isActive) return;
  await commit(ctx, async (em) => queueVerification(ctx, em, user));
}
