import type { DurableConsumer, MembershipReadModel, ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { userConsumer } from './memberships/service.js';
import { ProjectSchema } from './projects/entities.js';

/** Every event consumer of the project service. */
export function projectConsumers(deps: ServiceDeps, memberships: MembershipReadModel): DurableConsumer[] {
  return [memberships.consumer(), userConsumer(deps)];
}

/** An organization's projects go with it. */
export async function forgetOrganizationProjects(em: EntityManager, organizationId: string) {
  await em.nativeDelete(ProjectSchema, { organizationId });
}
