import type { Keyring, MailRelay, ServiceDeps } from '@gatehouse/service-kit';
import { type EntityManager, helper } from '@mikro-orm/postgresql';
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

/**
 * One transaction; its events and mail leave right after it commits. A relay is kicked only when the
 * transaction wrote a row for it (a pass is a transaction of its own: ~3-5 statements per commit that
 * mostly find nothing, e.g. the mail relay after every sign-in); both relays also poll every second.
 */
export async function commit<T>(ctx: IdentityContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  let wrote = { events: false, mail: false };
  const result = await ctx.deps.orm.em.fork().transactional(async (em) => {
    const value = await work(em);
    wrote = { events: holds(em, OUTBOX_ENTITY), mail: holds(em, MAIL_ENTITY) };
    return value;
  });
  if (wrote.events) ctx.deps.outbox.kick();
  if (wrote.mail) ctx.mail.kick();
  return result;
}

/** The relays' entities (service-kit's OutboxEventSchema and QueuedMailSchema), by name. */
const OUTBOX_ENTITY = 'OutboxEvent';
const MAIL_ENTITY = 'QueuedMail';

/** The unit of work holds an entity of this name: created and not yet flushed, or flushed inside it. */
function holds(em: EntityManager, entityName: string): boolean {
  const uow = em.getUnitOfWork();
  for (const entity of uow.getPersistStack()) if (helper(entity).__meta.className === entityName) return true;
  const meta = em.getMetadata().find(entityName);
  return meta !== undefined && uow.getIdentityMap().getStore(meta).size > 0;
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
