import {
  commitAndKick,
  type Keyring,
  type MailRelay,
  type MembershipReadModel,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditConfig } from './config.js';

export interface AuditContext {
  deps: ServiceDeps<AuditConfig>;
  config: AuditConfig;
  mail: MailRelay;
  /** Seals webhook signing secrets (WEBHOOK_ENCRYPTION_KEY). */
  secrets: Keyring;
  memberships: MembershipReadModel;
  /** Asks the delivery worker for a pass now (a delivery was queued). */
  kickDeliveries(): void;
}

/** One transaction; the mail and webhook deliveries it queued leave right after it commits. */
export function commit<T>(ctx: AuditContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return commitAndKick(ctx.deps.orm.em, [ctx.mail, { kick: ctx.kickDeliveries }], work);
}

export function readEm(ctx: AuditContext): EntityManager {
  return ctx.deps.orm.em.fork();
}
