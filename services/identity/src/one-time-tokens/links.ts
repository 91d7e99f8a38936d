import { queueMail } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type IdentityContext, publicLink } from '../context.js';
import { passwordResetMail, verificationMail } from '../mail/templates.js';
import { issueToken } from './service.js';

/** Whom a link is mailed to: the account's address and name. */
export interface LinkRecipient {
  id: string;
  email: string;
  fullName: string;
}

/**
 * Mails a fresh email-verification link (the previous one stops working). The link opens the
 * console's page, which calls GET /api/auth/verify-email from the browser: a person following it
 * gets a page rather than a JSON answer, and the browser's session (if it is the account's) counts.
 */
export async function queueVerification(ctx: IdentityContext, em: EntityManager, user: LinkRecipient): Promise<void> {
  const token = await issueToken(em, user.id, 'verify_email', ctx.config.VERIFY_EMAIL_TTL_SECONDS);
  const link = publicLink(ctx, '/verify-email', token);
  queueMail(
    em,
    verificationMail(user.email, user.fullName, link, Math.round(ctx.config.VERIFY_EMAIL_TTL_SECONDS / 3600)),
  );
}

/** Mails a fresh password-reset link (the previous one stops working). */
export async function queuePasswordReset(ctx: IdentityContext, em: EntityManager, user: LinkRecipient): Promise<void> {
  const token = await issueToken(em, user.id, 'reset_password', ctx.config.PASSWORD_RESET_TTL_SECONDS);
  const link = publicLink(ctx, '/reset-password', token);
  queueMail(em, passwordResetMail(user.email, link, Math.round(ctx.config.PASSWORD_RESET_TTL_SECONDS / 60)));
}
