import { AppError, EVENT_SUBJECTS, type Principal, validationError } from '@gatehouse/contracts';
import { queueMail, randomSecret, recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type User, UserSchema } from '../accounts/entities.js';
import { checkPasswordStrength, getUser, normalizeEmail, queueVerification } from '../accounts/service.js';
import { commit, type IdentityContext, publicLink, readEm } from '../context.js';
import { endEveryCredential } from '../credentials/recovery.js';
import { passwordResetMail } from '../mail/templates.js';
import { consumeToken, issueToken } from './service.js';

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
      markVerified(em, user, requestId);
      const ownSession = caller.kind === 'session' && caller.userId === userId;
      if (!ownSession) {
        await endEveryCredential(ctx, em, userId, { requestId });
        // The password was chosen by whoever made the account; it must not let them back into
        // an address that is now verified. The address's owner sets one from the mailed link.
        // Hashed only now, once the link proved valid: a bogus token costs no argon2 work.
        user.passwordHash = await ctx.hasher.hash(randomSecret(32));
        user.updatedAt = new Date();
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

function markVerified(em: EntityManager, user: User, requestId: string): void {
  user.isVerified = true;
  user.verifiedAt = new Date();
  recordEvent(
    em,
    EVENT_SUBJECTS.userUpdated,
    { userId: user.id, email: user.email, name: user.fullName, handle: user.handle, isVerified: true },
    requestId,
  );
}

/** Answers the same whether or not the address has an account (no enumeration). */
export async function resendVerification(ctx: IdentityContext, email: string): Promise<void> {
  const user = await readEm(ctx).findOne(UserSchema, { email: normalizeEmail(email) });
  if (!user || user.isVerified || !user.isActive) return;
  await commit(ctx, async (em) => queueVerification(ctx, em, user));
}

/** Always succeeds from the caller's view; mails a 1 h single-use link only to real, active accounts. */
export async function requestPasswordReset(ctx: IdentityContext, email: string): Promise<void> {
  const user = await readEm(ctx).findOne(UserSchema, { email: normalizeEmail(email) });
  if (!user?.isActive) return;
  await commit(ctx, async (em) => queuePasswordReset(ctx, em, user));
}

async function queuePasswordReset(ctx: IdentityContext, em: EntityManager, user: User): Promise<void> {
  const token = await issueToken(em, user.id, 'reset_password', ctx.config.PASSWORD_RESET_TTL_SECONDS);
  const link = publicLink(ctx, '/reset-password', token);
  queueMail(em, passwordResetMail(user.email, link, Math.round(ctx.config.PASSWORD_RESET_TTL_SECONDS / 60)));
}

/**
 * Sets the new password and ends every credential of the account: whoever held it before is out.
 * The link reached the address, so the address counts as verified from here on.
 */
export async function resetPassword(ctx: IdentityContext, token: string, newPassword: string, requestId: string) {
  await commit(ctx, async (em) => {
    const userId = await consumeToken(em, 'reset_password', token);
    const user = await getUser(em, userId);
    checkPasswordStrength(newPassword, user.email);
    // Hashed once the link proved valid, so unauthenticated guesses at tokens cost no argon2 work.
    user.passwordHash = await ctx.hasher.hash(newPassword);
    user.updatedAt = new Date();
    if (!user.isVerified) markVerified(em, user, requestId);
    await endEveryCredential(ctx, em, userId, { requestId });
  });
}

/**
 * Without `revokeOtherSessions` nothing ends. With it, every credential a person or a third party
 * holds ends (other sessions, PATs, OAuth grants) but the calling session and the client secrets
 * of the user's own apps (docs/accounts.md).
 */
export async function changePassword(
  ctx: IdentityContext,
  userId: string,
  currentSessionId: string | null,
  input: { currentPassword: string; newPassword: string; revokeOtherSessions?: boolean },
  requestId: string,
) {
  const user = await getUser(readEm(ctx), userId);
  if (!(await ctx.hasher.verify(user.passwordHash, input.currentPassword))) {
    throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong', {
      errors: [{ field: 'currentPassword', error: 'is wrong', location: 'body' }],
    });
  }
  checkPasswordStrength(input.newPassword, user.email);
  if (input.newPassword === input.currentPassword) {
    throw validationError([{ field: 'newPassword', error: 'must differ from the current password', location: 'body' }]);
  }
  const newHash = await ctx.hasher.hash(input.newPassword);
  await commit(ctx, async (em) => {
    const fresh = await em.findOneOrFail(UserSchema, { id: userId });
    fresh.passwordHash = newHash;
    fresh.updatedAt = new Date();
    if (input.revokeOtherSessions) {
      await endEveryCredential(ctx, em, userId, {
        except: currentSessionId ?? undefined,
        reach: 'sign-out-everywhere',
        requestId,
      });
    }
  });
}
