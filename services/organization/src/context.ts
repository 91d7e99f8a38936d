import type { MailRelay, ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrganizationConfig } from './config.js';

export interface OrgContext {
  deps: ServiceDeps<OrganizationConfig>;
  config: OrganizationConfig;
  mail: MailRelay;
}

/** One transaction, then the relays are nudged so its events and mail leave at once. */
export async function commit<T>(ctx: OrgContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const result = await ctx.deps.orm.em.fork().transactional(work);
  ctx.deps.outbox.kick();
  ctx.mail.kick();
  return result;
}

export function readEm(ctx: OrgContext): EntityManager {
  return ctx.deps.orm.em.fork();
}
