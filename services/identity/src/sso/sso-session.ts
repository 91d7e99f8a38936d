import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { Session } from '../sessions/entities.js';
import type { ClientInfo } from '../sessions/service.js';
import { loadUserForUpdate } from '../users/queries.js';
import type { SsoConnection } from './entities.js';
import { ssoRefused } from './refusal.js';

/**
 * A session opened the way password sign-in opens one (sessions/sign-in.ts), marked with the connection
 * it came through, and the sign-in written to the login history as `sso`.
 */
export async function openSsoSession(
  ctx: IdentityContext,
  em: EntityManager,
  connection: SsoConnection,
  userId: string,
  client: ClientInfo,
): Promise<{ token: string; session: Session }> {
  const user = await loadUserForUpdate(em, userId);
  if (!user.isActive) throw ssoRefused('USER_NOT_ACTIVE', 'This account is deactivated');
  user.lastLoginAt = new Date();
  const { token, session } = ctx.sessions.create(em, user, client, { amr: ['sso'], ssoConnectionId: connection.id });
  ctx.sessions.recordLogin(em, userId, client, { success: true, method: 'sso' });
  return { token, session };
}
