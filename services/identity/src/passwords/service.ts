import { AppError, EVENT_SUBJECTS, validationError } from '@gatehouse/contracts';
import { recordActivity } from '@gatehouse/service-kit';
import { commit, type IdentityContext, readEm } from '../context.js';
import { markVerified } from '../email-verification/service.js';
import { queuePasswordReset } from '../one-time-tokens/links.js';
import { consumeToken } from '../one-time-tokens/service.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import { checkPasswordAllowed, passwordRefusal } from '../sso-policy/policy.js';
import { checkPasswordStrength, findUserByEmail, getUser, loadUserForUpdate } from '../users/queries.js';

/** Always succeeds from the caller's view; mails a 1 h single-use link only to real, active accounts. */
export async function requestPasswordReset(ctx: IdentityContext, email: string): Promise<void> {
  const user = await findUserByEmail(readEm(ctx), email);
  if (!user?.isActive) return;
  // A password is no way into an account whose organization requires SSO, so no link is mailed (its
  // use would be refused with 403). The answer stays the same 200: it never tells whether the account
  // exists. The organization's owners still get theirs (break-glass).
  if (await passwordRefusal(ctx, user.email, user.id)) return;
  await commit(ctx, async (em) => queuePasswordReset(ctx, em, user));
}

/**
 * Sets the new password and ends every credential of the account: whoever held it before is out.
 * The link reached the address, so the address counts as verified from here on.
 */
export async function resetPassword(ctx: IdentityContext, token: string, newPassword: string, requestId: string) {
  await commit(ctx, async (em) => {
    const userId = await consumeToken(em, 'reset_password', token);
    const user = await getUser(em, userId);
    // Refused before anything is written: the transaction rolls back and the link stays unspent.
    await checkPasswordAllowed(ctx, user.email, user.id, em);
    checkPasswordStrength(newPassword, user.email);
    // Hashed once the link proved valid, so unauthenticated guesses at tokens cost no argon2 work.
    user.passwordHash = await ctx.hasher.hash(newPassword);
    user.updatedAt = new Date();
    // An unverified account may have been set up by a stranger (sign-up needs no proof of the address):
    // their factors go too. A verified account keeps its factors — the mailbox alone is not a way past them.
    const wasVerified = user.isVerified;
    if (!wasVerified) markVerified(em, user, requestId);
    await endEveryCredential(ctx, em, userId, { requestId, forgetFactors: !wasVerified });
    // The link's request is anonymous: whoever followed it acted as the account.
    recordActivity(em, EVENT_SUBJECTS.identityActivity, {
      action: 'user.password_reset',
      organizationId: null,
      userId,
      actor: { type: 'user', id: userId },
      target: { type: 'user', id: userId, name: user.email },
      changes: { factorsCleared: { after: !wasVerified } },
    });
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
    const fresh = await loadUserForUpdate(em, userId);
    fresh.passwordHash = newHash;
    fresh.updatedAt = new Date();
    if (input.revokeOtherSessions) {
      await endEveryCredential(ctx, em, userId, {
        except: currentSessionId ?? undefined,
        reach: 'sign-out-everywhere',
        requestId,
      });
    }
    recordActivity(em, EVENT_SUBJECTS.identityActivity, {
      action: 'user.password_changed',
      organizationId: null,
      userId,
      target: { type: 'user', id: userId, name: fresh.email },
      changes: { otherSessionsRevoked: { after: input.revokeOtherSessions === true } },
    });
  });
}
