import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import { commit, type IdentityContext } from '../context.js';
import * as factors from '../factors/lifecycle.js';
import { UserMembershipSchema } from '../memberships/entities.js';
import * as oauthApps from '../oauth-apps/service.js';
import * as oneTimeTokens from '../one-time-tokens/service.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import * as sessions from '../sessions/service.js';
import { getUser } from '../users/queries.js';

/**
 * Deletes the account and every credential; each revocation and the deletion are announced.
 * Each capability deletes its own rows of the user.
 */
export async function deleteMe(ctx: IdentityContext, userId: string, requestId: string): Promise<void> {
  await commit(ctx, async (em) => {
    const user = await getUser(em, userId);
    await endEveryCredential(ctx, em, userId, { requestId, reach: 'account-ended' });
    await em.flush();
    await sessions.deleteForUser(em, userId);
    await oneTimeTokens.deleteForUser(em, userId);
    // Factors and open challenges (the foreign keys cascade too; saying so keeps the rule "each capability deletes its own").
    await factors.deleteForUser(em, userId);
    await em.nativeDelete(UserMembershipSchema, { userId });
    await oauthApps.deleteForUser(em, userId, requestId);
    recordEvent(em, EVENT_SUBJECTS.userDeleted, { userId }, requestId);
    em.remove(user);
  });
}
