import type { EntityManager } from '@mikro-orm/postgresql';
import * as apiKeys from '../api-keys/service.js';
import type { IdentityContext } from '../context.js';
import { endTokensMintedBy } from '../directories/tokens.js';
import { clearFactors } from '../factors/lifecycle.js';
import { MfaChallengeSchema } from '../mfa-challenges/entities.js';
import { voidClientSecrets } from '../oauth-store/clients.js';
import { destroyGrants } from '../oauth-store/grants.js';
import { consumeOutstandingTokens } from '../one-time-tokens/service.js';

/**
 * How far an ending reaches (docs/accounts.md "Recovery ends every credential").
 * - `recovery`: someone else may have held the account (password reset, proof of the address, an
 *   operator's MFA reset). Everything goes, including the client secrets of the user's confidential apps
 *   (whoever held the account may have registered one), the SCIM tokens they minted for a
 *   directory, and the account's outstanding links.
 * - `account-ended`: the account is deleted or deprovisioned by its directory. As `recovery`, except that the
 *   SCIM tokens the person minted stay: they are the organization's (its directory may be deprovisioning this
 *   very person with one), nobody is presumed to have held the account, and owners rotate them when they choose.
 * - `sign-out-everywhere`: the signed-in owner, who just proved the password, ends what people
 *   and third parties hold (sessions, PATs, OAuth grants); the secrets their servers run on stay.
 */
export type EndingReach = 'recovery' | 'account-ended' | 'sign-out-everywhere';

export interface EndingOptions {
  requestId?: string;
  /** A session that survives: the caller's own. */
  except?: string;
  reach?: EndingReach;
  /**
   * The second factors go too (mailed, announced `factors_cleared`): ownership was proven again by the
   * address or an IdP, and whoever set the factors up may have been a stranger. A password reset does
   * not pass it: access to the mailbox alone must not get past the second factor.
   */
  forgetFactors?: boolean;
}

/**
 * Ends the user's credentials in the caller's transaction, announcing each revocation so every
 * gateway replica refuses it within a second (the events leave with the commit).
 */
export async function endEveryCredential(
  ctx: IdentityContext,
  em: EntityManager,
  userId: string,
  options: EndingOptions = {},
): Promise<void> {
  const { requestId, except, reach = 'recovery', forgetFactors = false } = options;
  await ctx.sessions.revokeAllForUser(em, userId, { except, requestId });
  // With the keys go the client-credentials tokens of app secrets a key minted (they stand while it does).
  await apiKeys.deleteForUser(em, userId, requestId);
  // Each grant goes with its refresh tokens, codes and access-token records.
  await destroyGrants(em, { accountId: userId }, requestId);
  if (reach !== 'sign-out-everywhere') {
    await voidClientSecrets(em, userId, requestId);
    // A SCIM token is the organization's, but its minter may have been whoever held the account.
    if (reach === 'recovery') await endTokensMintedBy(em, userId, requestId);
    // A link mailed before the recovery was asked for by whoever held the account then.
    await consumeOutstandingTokens(em, userId);
  }
  // A sign-in waiting for its second factor (or a step-up, a passkey ceremony) started with what just ended.
  await em.nativeDelete(MfaChallengeSchema, { userId });
  if (forgetFactors) await clearFactors(em, userId, requestId);
}
