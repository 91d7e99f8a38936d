import {
  type AuthenticatedPrincipal,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  newId,
  type Role,
} from '@gatehouse/contracts';
import {
  createMailer,
  createServiceDeps,
  dropDatabase,
  EntitlementsReadModel,
  MailRelay,
  type TenantAccess,
} from '@gatehouse/service-kit';
import {
  generatePrincipalKeys,
  publishTestEvent,
  testNamespace,
  testServiceConfig,
} from '@gatehouse/service-kit/testing';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll } from 'vitest';
import type { OrganizationConfig } from '../src/config.js';
import type { OrgContext } from '../src/context.js';
import { organizationService } from '../src/definition.js';
import { upsertDirectoryUser } from '../src/directory/service.js';
import { tenantAccess } from '../src/organizations/access.js';
import { MemberSchema } from '../src/organizations/entities.js';
import { createOrganization } from '../src/organizations/service.js';

/** The organization service's context on its own database and stream, without HTTP. */
export interface OrganizationHarness {
  ctx: OrgContext;
  em(): EntityManager;
  /** Publishes an event to the namespace's stream as a producer's outbox relay would. */
  publish<S extends EventSubject>(type: S, data: EventDataBySubject[S]): Promise<EventEnvelope<S>>;
  close(): Promise<void>;
}

export async function startOrganization(): Promise<OrganizationHarness> {
  const ns = testNamespace();
  const config = testServiceConfig('organization', ns, await generatePrincipalKeys(), {
    PUBLIC_URL: 'http://localhost:8080',
    INVITE_TTL_SECONDS: 7 * 24 * 3600,
    MAIL_FROM: 'Gatehouse <no-reply@example.test>',
    MAIL_OUTBOX_DIR: '.data/test-mail',
  }) as unknown as OrganizationConfig;
  const deps = await createServiceDeps(organizationService, config);
  const ctx: OrgContext = {
    deps,
    config,
    mail: new MailRelay(deps.orm.em, createMailer(config, deps.logger), deps.logger),
    entitlements: new EntitlementsReadModel(deps, 'organization-entitlements'),
  };
  // Billing's plans arrive as the service takes them in: by event, through its consumer.
  const entitlements = ctx.entitlements.consumer();
  await entitlements.start();
  return {
    ctx,
    em: () => deps.orm.em.fork(),
    publish: (type, data) => publishTestEvent(deps.messaging, type, data),
    async close() {
      await entitlements.stop();
      await deps.messaging.jsm.streams.delete(config.EVENTS_STREAM).catch(() => undefined);
      await deps.close();
      await dropDatabase(config.DATABASE_URL);
    },
  };
}

export function principalOf(userId: string): AuthenticatedPrincipal {
  return { kind: 'session', userId, credentialId: newId(), scopes: [], role: 'user' };
}

/** What a tenant route hands the service: the caller's membership, through the service's own loader. */
export async function tenantOf(h: OrganizationHarness, organizationId: string, userId: string): Promise<TenantAccess> {
  const principal = principalOf(userId);
  return { organizationId, principal, role: await tenantAccess(h.ctx)(organizationId, principal) };
}

/** A user the directory knows, verified unless said otherwise. */
export async function directoryUser(h: OrganizationHarness, name: string, isVerified = true) {
  const userId = newId();
  await h.ctx.deps.orm.em
    .fork()
    .transactional((em) =>
      upsertDirectoryUser(em, { userId, email: `${name}-${userId.toLowerCase()}@example.test`, name, isVerified }),
    );
  return userId;
}

/** An organization owned by `ownerId`, with the others as members of the given roles, joined in order. */
export async function organizationWith(
  h: OrganizationHarness,
  ownerId: string,
  members: Array<{ userId: string; role: Role }> = [],
) {
  const organization = await createOrganization(h.ctx, principalOf(ownerId), { name: 'Acme' }, newId());
  const em = h.em();
  const start = Date.now();
  const memberIds: Record<string, string> = {};
  members.forEach(({ userId, role }, index) => {
    const id = newId();
    memberIds[userId] = id;
    em.create(MemberSchema, {
      id,
      organizationId: organization.id,
      userId,
      role,
      joinedAt: new Date(start + (index + 1) * 1000),
    });
  });
  await em.flush();
  return { organizationId: organization.id, memberIds };
}

export async function memberIdOf(h: OrganizationHarness, organizationId: string, userId: string) {
  return (await h.em().findOneOrFail(MemberSchema, { organizationId, userId })).id;
}

export async function rolesIn(h: OrganizationHarness, organizationId: string): Promise<Record<string, Role>> {
  const members = await h.em().find(MemberSchema, { organizationId });
  return Object.fromEntries(members.map((member) => [member.userId, member.role]));
}

/** The events the service recorded about one organization, in order. */
export async function eventsOf(h: OrganizationHarness, organizationId: string) {
  const rows: Array<{ subject: string; payload: { data: Record<string, unknown> } }> = await h
    .em()
    .execute(`select subject, payload from outbox_events where payload->'data'->>'organizationId' = ? order by id`, [
      organizationId,
    ]);
  return rows.map((row) => ({ subject: row.subject, data: row.payload.data }));
}

/** The AppError's code and reason fields, for comparing refusals. */
export async function refusal(work: Promise<unknown>) {
  const error = await work.then(
    () => null,
    (failure: unknown) => failure as { code?: string; meta?: Record<string, unknown> },
  );
  if (!error) throw new Error('expected a refusal');
  return { code: error.code, ...(error.meta ?? {}) };
}

/** One harness for a test file: started before its tests, closed after them. */
export function useOrganization(started: (harness: OrganizationHarness) => void): void {
  let harness: OrganizationHarness | undefined;
  beforeAll(async () => {
    harness = await startOrganization();
    started(harness);
  });
  afterAll(async () => {
    await harness?.close();
  });
}
