import { commitAndKick, type EntitlementsReadModel, type MailRelay, type ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrganizationConfig } from './config.js';

export interface OrgContext {
  deps: ServiceDeps<OrganizationConfig>;
  config: OrganizationConfig;
  mail: MailRelay;
  /** What each organization's plan allows (the member limit, read-only), kept from billing's events. */
  entitlements: EntitlementsReadModel;
}

/** One transaction; its events and mail leave right after it commits. */
export function commit<T>(ctx: OrgContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return commitAndKick(ctx.deps.orm.em, [ctx.deps.outbox, ctx.mail], work);
}

export function readEm(ctx: OrgContext): EntityManager {
  return ctx.deps.orm.em.fork();
}
