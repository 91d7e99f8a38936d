import {
  type DurableConsumer,
  type EntitlementsReadModel,
  forgetEntitlements,
  type MembershipReadModel,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { userConsumer } from './memberships/service.js';
import { ProjectSchema } from './projects/entities.js';

/** Every event consumer of the project service. */
export function projectConsumers(
  deps: ServiceDeps,
  memberships: MembershipReadModel,
  entitlements: EntitlementsReadModel,
): DurableConsumer[] {
  return [memberships.consumer(), userConsumer(deps), entitlements.consumer()];
}

/** An organization's projects, and what its plan allowed, go with it. */
export async function forgetOrganization(em: EntityManager, organizationId: string) {
  await em.nativeDelete(ProjectSchema, { organizationId });
  await forgetEntitlements(em, organizationId);
}
