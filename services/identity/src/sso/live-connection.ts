import type { EntityManager } from '@mikro-orm/postgresql';
import { type IdentityContext, readEm } from '../context.js';
import { type SsoConnection, SsoConnectionSchema } from './entities.js';
import { ssoRefused } from './refusal.js';

/** Read afresh at every step of a sign-in: a connection disabled or deleted meanwhile stops it there. */
export async function loadLiveConnection(
  ctx: IdentityContext,
  connectionId: string,
  em: EntityManager = readEm(ctx),
): Promise<SsoConnection> {
  const connection = await em.findOne(SsoConnectionSchema, { id: connectionId });
  if (!connection?.enabled) {
    throw ssoRefused('SSO_CONNECTION_DISABLED', 'This single sign-on connection is not available');
  }
  return connection;
}
