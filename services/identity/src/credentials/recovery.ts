import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKeySchema } from '../api-keys/entities.js';
import type { IdentityContext } from '../context.js';
import { OAuthAppSchema } from '../oauth-apps/entities.js';
import { destroyGrants } from '../oauth-grants/service.js';
import { OneTimeTokenSchema } from '../verification/entities.js';
import { announceRevocation } from './revocation.js';

/**
 * How far an ending reaches (docs/accounts.md "Recovery ends every credential").
 * - `recovery`: someone else may have held the account (password reset, proof of the address,
 *   deletion). Everything goes, including the client secrets of the user's confidential apps
 *   (whoever held the account may have registered one) and the account's outstanding links.
 * - `sign-out-everywhere`: the signed-in owner, who just proved the password, ends what people
 *   and third parties hold (sessions, PATs, OAuth grants); the secrets their servers run on stay.
 */
export type EndingReach = 'recovery' | 'sign-out-everywhere';

export interface EndingOptions {
  requestId?: string;
  /** A session that survives: the caller's own. */
  except?: string;
  reach?: EndingReach;
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
  const { requestId, except, reach = 'recovery' } = options;
  await ctx.sessions.revokeAllForUser(em, userId, { except, requestId });
  await deleteApiKeys(em, userId, requestId);
  // Each grant goes with its refresh tokens, codes and access-token records.
  await destroyGrants(em, { accountId: userId }, requestId);
  if (reach === 'recovery') {
    await voidClientSecrets(em, userId, requestId);
    await consumeOutstandingLinks(em, userId);
  }
}

/** With the keys go the client-credentials tokens of app secrets a key minted (they stand while it does). */
async function deleteApiKeys(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const keys = await em.find(ApiKeySchema, { userId }, { fields: ['id'] });
  if (keys.length === 0) return;
  const keyIds = keys.map((key) => key.id);
  const minted = await em.find(OAuthAppSchema, { registeredByKeyId: { $in: keyIds } }, { fields: ['id'] });
  for (const id of keyIds) announceRevocation(em, { kind: 'api_key', id, userId }, requestId);
  for (const app of minted) announceRevocation(em, { kind: 'oauth', id: app.id, userId }, requestId);
  await em.nativeDelete(ApiKeySchema, { userId });
}

/**
 * The app stays (other users' grants to it, its configuration), but without a secret: its
 * client-credentials tokens die and it authenticates again only once the owner rotates one in.
 */
async function voidClientSecrets(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const apps = await em.find(OAuthAppSchema, { ownerUserId: userId, clientType: 'confidential' });
  const now = new Date();
  for (const app of apps) {
    app.secretHash = null;
    app.secretStart = null;
    app.secretChangedAt = now;
    app.updatedAt = now;
    announceRevocation(em, { kind: 'oauth', id: app.id, userId }, requestId);
  }
}

/** A link mailed before the recovery was asked for by whoever held the account then. */
async function consumeOutstandingLinks(em: EntityManager, userId: string): Promise<void> {
  await em.nativeUpdate(OneTimeTokenSchema, { userId, usedAt: null }, { usedAt: new Date() });
}
