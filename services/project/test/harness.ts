import {
  type AuthenticatedPrincipal,
  type EntitlementsChanged,
  EVENT_SUBJECTS,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  newId,
  TOKEN_SCOPES,
} from '@gatehouse/contracts';
import {
  eventually,
  generatePrincipalKeys,
  publishTestEvent,
  startTestService,
  type TestService,
  testNamespace,
  testServiceConfig,
} from '@gatehouse/service-kit/testing';
import { buildApp } from '../src/app.js';
import type { ProjectConfig } from '../src/config.js';
import { projectService } from '../src/definition.js';

/** The project service alone, over HTTP, on a namespace of its own, fed by events the test publishes. */
export interface ProjectHarness {
  service: TestService<ProjectConfig>;
  /** Publishes an event to the namespace's stream as a producer's outbox relay would. */
  publish<S extends EventSubject>(type: S, data: EventDataBySubject[S]): Promise<EventEnvelope<S>>;
  close(): Promise<void>;
}

export async function startProject(): Promise<ProjectHarness> {
  const ns = testNamespace();
  const keys = await generatePrincipalKeys();
  const config = testServiceConfig('project', ns, keys) as unknown as ProjectConfig;
  const service = await startTestService(projectService, config, keys, (deps) => buildApp(deps));
  return {
    service,
    publish: (type, data) => publishTestEvent(service.deps.messaging, type, data),
    close: () => service.close(),
  };
}

export function personPrincipal(userId = newId()): AuthenticatedPrincipal {
  return {
    kind: 'session',
    userId,
    credentialId: newId(),
    scopes: [...TOKEN_SCOPES],
    role: 'user',
    organizationId: null,
  };
}

/** A fresh organization with one admin, written straight into the membership read model. */
export async function organizationWithAdmin(h: ProjectHarness) {
  const organizationId = newId();
  const admin = personPrincipal();
  await h.service.deps.orm.em
    .fork()
    .execute('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [
      organizationId,
      admin.userId,
      'admin',
    ]);
  return { organizationId, admin };
}

/** What billing publishes for a plan allowing `maxProjects` (null: unlimited). */
export function entitlementsOf(organizationId: string, revision: number, maxProjects: number | null) {
  return {
    organizationId,
    revision,
    tierId: maxProjects === null ? 'business' : 'free',
    status: 'active',
    entitlements: { maxProjects, maxMembers: 5, ssoAllowed: false, auditRetentionDays: 30 },
    readOnlyAfter: null,
    upgradeUrl: `http://localhost:8080/orgs/${organizationId}/billing`,
  } satisfies EntitlementsChanged;
}

/** The revision the read model holds for the organization, or null. */
export async function storedRevision(h: ProjectHarness, organizationId: string): Promise<number | null> {
  const rows = (await h.service.deps.orm.em
    .fork()
    .execute('select revision from organization_entitlements where organization_id = ?', [organizationId])) as {
    revision: string;
  }[];
  return rows[0] ? Number(rows[0].revision) : null;
}

/** Publishes the plan and waits until the read model has taken it in. */
export async function publishPlan(h: ProjectHarness, plan: EntitlementsChanged): Promise<void> {
  await h.publish(EVENT_SUBJECTS.billingEntitlementsChanged, plan);
  await eventually(async () => {
    if ((await storedRevision(h, plan.organizationId)) !== plan.revision) throw new Error('not yet recorded');
  });
}
