import { AppError, EVENT_SUBJECTS, validationError } from '@gatehouse/contracts';
import { queueMail, recordEvent } from '@gatehouse/service-kit';
import { UserSchema } from '../accounts/entities.js';
import { checkPasswordStrength, getUser, normalizeEmail, queueVerification } from '../accounts/service.js';
import { commit, type IdentityContext, publicLink, readEm } from '../context.js';
import { passwordResetMail } from '../mail/templates.js';
import { consumeToken, issueToken } from './service.js';

export async function verifyEmail(ctx: IdentityContext, token: string, requestId: string) {
  return commit(ctx, async (em) => {
    const userId = await consumeToken(em, 'verify_email', token);
    const user = await getUser(em, userId);
    if (!user.isVerified) {
      user.isVerified = true;
      user.verifiedAt = new Date();
      recordEvent(
        em,
        EVENT_SUBJECTS.userUpdated,
        { userId, email: user.email, name: user.fullName, handle: user.handle, isVerified: true },
        requestId,
      );
    }
    return { email: user.email, isVerified: true, verifiedAt: user.verifiedAt?.toISOString() ?? null };
  });
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
  await commit(ctx, async (em) => {
    const token = await issueToken(em, user.id, 'reset_password', ctx.config.PASSWORD_RESET_TTL_SECONDS);
    const link = publicLink(ctx, '/reset-password', token);
    queueMail(em, passwordResetMail(user.email, link, Math.round(ctx.config.PASSWORD_RESET_TTL_SECONDS / 60)));
  });
}

/** Sets the new password and ends every session: whoever had the old one is out. */
export async function resetPassword(ctx: IdentityContext, token: string, newPassword: string, requestId: string) {
  const newHash = await ctx.hasher.hash(newPassword);
  await commit(ctx, async (em) => {
    const userId = await consumeToken(em, 'reset_password', token);
    const user = await getUser(em, userId);
    checkPasswordStrength(newPassword, user.email);
    user.passwordHash = newHash;
    user.updatedAt = new Date();
    await ctx.sessions.revokeAllForUser(em, userId, { requestId });
  });
}

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
      await ctx.sessions.revokeAllForUser(em, userId, { except: currentSessionId ?? undefined, requestId });
    }
  });
}
