import { commitAndKick, type MembershipReadModel, type ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import type { BillingConfig } from './config.js';
import type { Plans } from './plans/plans.js';

export interface BillingContext {
  deps: ServiceDeps<BillingConfig>;
  config: BillingConfig;
  plans: Plans;
  /** The Stripe SDK client; null in local mode (no STRIPE_SECRET_KEY). */
  stripe: Stripe | null;
  /** The webhook signing secrets, newest first (empty in local mode). */
  webhookSecrets: string[];
  memberships: MembershipReadModel;
}

/** One transaction; the events it recorded leave right after it commits. */
export function commit<T>(ctx: BillingContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return commitAndKick(ctx.deps.orm.em, [ctx.deps.outbox], work);
}

export function readEm(ctx: BillingContext): EntityManager {
  return ctx.deps.orm.em.fork();
}
