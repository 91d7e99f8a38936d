import { AppError } from '@gatehouse/contracts';
import { queueMail } from '@gatehouse/service-kit';
import { commit, type IdentityContext, publicLink, readEm } from '../context.js';
import { takeOverUnverified } from '../email-verification/service.js';
import { magicLinkMail, magicLinkSsoMail } from '../mail/templates.js';
import { completeFirstFactorIn, type FirstFactorResult } from '../mfa-challenges/first-factor.js';
import { consumeToken, issueToken } from '../one-time-tokens/service.js';
import type { ClientInfo } from '../sessions/service.js';
import { recordFailureLater } from '../sessions/sign-in.js';
import { discoverUrl, passwordRefusal } from '../sso-policy/policy.js';
import { findUserByEmail, loadUserForUpdate } from '../users/queries.js';

/**
 * Mails a sign-in link to an active account (the previous one stops working). Nothing for an unknown
 * or deactivated address. An address whose organization requires SSO gets the SSO sign-in's start
 * instead of a token — a mailed link is no more a way around the IdP than a password — except the
 * organization's owners (break-glass, as for passwords).
 */
export async function mailMagicLink(ctx: IdentityContext, email: string): Promise<void> {
  const user = await findUserByEmail(readEm(ctx), email);
  if (!user?.isActive) return;
  const ssoRefusal = await passwordRefusal(ctx, user.email, user.id);
  await commit(ctx, async (em) => {
    if (ssoRefusal) {
      queueMail(em, magicLinkSsoMail(user.email, discoverUrl(ctx, user.email).toString()));
      return;
    }
    const ttl = ctx.config.MAGIC_LINK_TTL_SECONDS;
    const token = await issueToken(em, user.id, 'magic_link', ttl);
    queueMail(em, magicLinkMail(user.email, publicLink(ctx, '/magic-link', token), Math.round(ttl / 60)));
  });
}

/**
 * The answer leaves before any lookup: known, unknown and SSO-bound addresses cost the caller the
 * same, so neither the answer nor its timing tells whether an account exists.
 */
export function mailMagicLinkLater(ctx: IdentityContext, email: string): void {
  setImmediate(() => {
    mailMagicLink(ctx, email).catch((error: unknown) => ctx.deps.logger.warn({ err: error }, 'magic link not mailed'));
  });
}

/**
 * Spends the link, then signs in as any first factor does: a session, or the second-factor challenge
 * when the account has one. Following the link proves the address, so an unverified account is
 * verified here, and what its maker (possibly not the address's owner) set up on it ends: sessions,
 * keys, grants, factors, and the password, which is replaced by a random one nobody knows.
 */
export async function signInWithMagicLink(
  ctx: IdentityContext,
  token: string,
  client: ClientInfo,
  requestId: string,
): Promise<FirstFactorResult> {
  // One transaction: the link is spent only by a sign-in that ends in a session or a challenge.
  return commit(ctx, async (em) => {
    const userId = await consumeToken(em, 'magic_link', token);
    const found = await loadUserForUpdate(em, userId);
    // Thrown inside the transaction: the link stays unspent, and nothing else was written (the refusal is
    // recorded in a transaction of its own).
    if (!found.isActive) {
      recordFailureLater(ctx, found.id, client, 'deactivated', { method: 'magic_link' });
      throw new AppError('USER_NOT_ACTIVE', 'This account is deactivated');
    }
    // A link mailed before the organization required SSO must not outlive that rule.
    const ssoRefusal = await passwordRefusal(ctx, found.email, found.id, em);
    if (ssoRefusal) {
      recordFailureLater(ctx, found.id, client, 'sso_required', { method: 'magic_link' });
      throw ssoRefusal;
    }
    if (!found.isVerified) await takeOverUnverified(ctx, em, found, requestId);
    return completeFirstFactorIn(ctx, em, found, 'email', client);
  });
}
