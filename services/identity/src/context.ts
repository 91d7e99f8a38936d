import type { MailRelay, ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PasswordHasher } from './accounts/passwords.js';
import type { LastUsedTracker } from './api-keys/last-used.js';
import type { IdentityConfig } from './config.js';
import type { SessionService } from './sessions/service.js';

/** What identity's capabilities share; built once in app.ts. */
export interface IdentityContext {
  deps: ServiceDeps<IdentityConfig>;
  config: IdentityConfig;
  hasher: PasswordHasher;
  sessions: SessionService;
  mail: MailRelay;
  lastUsed: LastUsedTracker;
}

/**
 * Runs one unit of work in a transaction, then nudges the relays so the events and mail it
 * queued go out now rather than on the next tick.
 */
export async function commit<T>(ctx: IdentityContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const result = await ctx.deps.orm.em.fork().transactional(work);
  ctx.deps.outbox.kick();
  ctx.mail.kick();
  return result;
}

export function readEm(ctx: IdentityContext): EntityManager {
  return ctx.deps.orm.em.fork();
}

export function publicLink(ctx: IdentityContext, path: string, token: string): string {
  const url = new URL(path, ctx.config.PUBLIC_URL);
  url.searchParams.set('token', token);
  return url.toString();
}
