import type { AuthenticatedPrincipal } from '@gatehouse/contracts';
import * as apiKeys from '../api-keys/service.js';
import { type IdentityContext, readEm } from '../context.js';
import { pinOf } from '../credentials/limits.js';
import * as factors from '../factors/lifecycle.js';
import { UserMembershipSchema } from '../memberships/entities.js';
import * as oauthApps from '../oauth-apps/service.js';
import * as oauthGrants from '../oauth-grants/service.js';
import * as sessions from '../sessions/service.js';
import { presentUser } from '../users/entities.js';
import { getUser } from '../users/queries.js';

/**
 * Everything identity holds about the user, minus secrets and hashes (data portability), as the
 * lists show it to this credential (docs/accounts.md "Your data"): a pinned credential sees only
 * its organization and the keys and apps pinned to it, keys need `api-keys:read`, an OAuth token
 * sees no keys, apps or grants. Sessions and login history belong to the account, as in their
 * lists. Each capability exports its own rows.
 */
export async function exportMe(ctx: IdentityContext, principal: AuthenticatedPrincipal) {
  const { userId } = principal;
  const em = readEm(ctx);
  const user = await getUser(em, userId);
  const pin = pinOf(principal);
  const managesCredentials = principal.kind !== 'oauth';
  const listsKeys = principal.kind === 'session' || (managesCredentials && principal.scopes.includes('api-keys:read'));
  const currentSessionId = principal.kind === 'session' ? principal.credentialId : null;
  const [account, keys, memberships, apps, grants, mfa] = await Promise.all([
    sessions.exportForUser(em, userId, currentSessionId),
    listsKeys ? apiKeys.exportForUser(em, principal) : [],
    em.find(UserMembershipSchema, pin ? { userId, organizationId: pin } : { userId }),
    managesCredentials ? oauthApps.exportForUser(em, principal) : [],
    managesCredentials ? oauthGrants.exportForUser(ctx, userId) : [],
    factors.exportForUser(em, userId),
  ]);
  return {
    exportedAt: new Date().toISOString(),
    user: presentUser(user, memberships.length),
    sessions: account.sessions,
    apiKeys: keys,
    loginHistory: account.loginHistory,
    organizations: memberships.map((membership) => ({
      organizationId: membership.organizationId,
      role: membership.role,
    })),
    oauthApps: apps,
    oauthGrants: grants,
    mfa,
  };
}
