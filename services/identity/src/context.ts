import type { Keyring } from '@gatehouse/service-kit';
import { commitAndKick, type MailRelay, type ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { LastUsedTracker } from './api-keys/last-used.js';
import type { IdentityConfig } from './config.js';
import type { SessionService } from './sessions/service.js';
import type { PasswordHasher } from './users/passwords.js';

/** What identity's capabilities share; built once in app.ts. */
export interface IdentityContext {
  deps: ServiceDeps<IdentityConfig>;
  config: IdentityConfig;
  hasher: PasswordHasher;
  sessions: SessionService;
  mail: MailRelay;
  lastUsed: LastUsedTracker;
  /** MFA_ENCRYPTION_KEY: seals authenticator-app secrets and keys account tags. */
  mfaKeys: Keyring;
}

/** One transaction; its events and mail leave right after it commits. */
export function commit<T>(ctx: IdentityContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return commitAndKick(ctx.deps.orm.em, [ctx.deps.outbox, ctx.mail], work);
}

export function readEm(ctx: IdentityContext): EntityManager {
  return ctx.deps.orm.em.fork();
}

export function publicLink(ctx: IdentityContext, path: string, token: string): string {
  const url = new URL(path, ctx.config.PUBLIC_URL);
  url.searchParams.set('token', token);
  return url.toString();
}

/** The API's own URL: the OAuth issuer's base and the one audience access tokens are minted for. */
export function apiAudience(ctx: IdentityContext): string {
  return ctx.config.PUBLIC_URL.replace(/\/+$/, '');
}
