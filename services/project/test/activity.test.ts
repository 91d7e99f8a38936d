import { EVENT_SUBJECTS, type EventContext, type EventEnvelope, newId } from '@gatehouse/contracts';
import {
  createServiceDeps,
  dropDatabase,
  EntitlementsReadModel,
  type ServiceDeps,
  type TenantAccess,
  withEventContext,
} from '@gatehouse/service-kit';
import { eventually, generatePrincipalKeys, testNamespace, testServiceConfig } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectConfig } from '../src/config.js';
import { projectService } from '../src/definition.js';
import { createProject, deleteProject, updateProject } from '../src/projects/service.js';

/** The project service's functions on their own database and stream, without HTTP. */
let deps: ServiceDeps<ProjectConfig>;
/** No billing answers here: every organization's plan is unknown, so no limit applies. */
let entitlements: EntitlementsReadModel;

beforeAll(async () => {
  const ns = testNamespace();
  const config = testServiceConfig('project', ns, await generatePrincipalKeys()) as unknown as ProjectConfig;
  deps = await createServiceDeps(projectService, config);
  entitlements = new EntitlementsReadModel(deps, 'project-entitlements');
});
afterAll(async () => {
  if (!deps) return;
  await deps.messaging.jsm.streams.delete(deps.config.EVENTS_STREAM).catch(() => undefined);
  await deps.close();
  await dropDatabase(deps.config.DATABASE_URL);
});

function tenantOf(organizationId: string, userId: string): TenantAccess {
  const principal = { kind: 'session' as const, userId, credentialId: newId(), scopes: [], role: 'user' as const };
  return { organizationId, principal, role: 'admin' };
}

function requestOf(userId: string): EventContext {
  return {
    actor: { type: 'user', id: userId },
    ip: '203.0.113.4',
    userAgent: 'projects/1.0',
    requestId: `r_${newId()}`,
  };
}

interface OutboxRow {
  subject: string;
  published_at: string | null;
  payload: EventEnvelope<typeof EVENT_SUBJECTS.projectActivity>;
}

async function outboxOf(organizationId: string) {
  const rows: OutboxRow[] = await deps.orm.em
    .fork()
    .execute(
      `select subject, published_at, payload from outbox_events where payload->'data'->>'organizationId' = ? order by id`,
      [organizationId],
    );
  return rows;
}

describe('project activity', () => {
  it('records created, updated (only what changed, before and after) and deleted, each with its request', async () => {
    const organizationId = newId();
    const userId = newId();
    const tenant = tenantOf(organizationId, userId);
    const [creating, updating, unchanged, deleting] = [1, 2, 3, 4].map(() => requestOf(userId));

    const { project } = await withEventContext(creating, () =>
      createProject(deps, entitlements, tenant, { name: 'Apollo', description: 'Moon' }),
    );
    await withEventContext(updating, () =>
      updateProject(deps, tenant, project.id, { name: 'Artemis', description: 'Moon', status: 'active' }, undefined),
    );
    await withEventContext(unchanged, () => updateProject(deps, tenant, project.id, { name: 'Artemis' }, undefined));
    await withEventContext(deleting, () => deleteProject(deps, tenant, project.id));

    const rows = await outboxOf(organizationId);
    expect(rows.map((row) => row.subject)).toEqual(Array(3).fill(EVENT_SUBJECTS.projectActivity));
    const common = { organizationId, userId, outcome: 'success' };
    expect(rows.map((row) => [row.payload.data, row.payload.context])).toEqual([
      [{ ...common, action: 'project.created', target: { type: 'project', id: project.id, name: 'Apollo' } }, creating],
      [
        {
          ...common,
          action: 'project.updated',
          target: { type: 'project', id: project.id, name: 'Artemis' },
          changes: { name: { before: 'Apollo', after: 'Artemis' }, status: { before: 'draft', after: 'active' } },
        },
        updating,
      ],
      [
        { ...common, action: 'project.deleted', target: { type: 'project', id: project.id, name: 'Artemis' } },
        deleting,
      ],
    ]);
    expect(rows.map((row) => row.payload.requestId)).toEqual([creating, updating, deleting].map((r) => r?.requestId));
  });

  it('publishes them: the relay is kicked after each commit and the events reach the stream', async () => {
    const organizationId = newId();
    const tenant = tenantOf(organizationId, newId());
    const { project } = await createProject(deps, entitlements, tenant, { name: 'Relayed' });
    await eventually(async () => {
      const [row] = await outboxOf(organizationId);
      expect(row?.published_at).not.toBeNull();
    });
    const stored = await deps.messaging.jsm.streams.getMessage(deps.config.EVENTS_STREAM, {
      last_by_subj: deps.messaging.subject(EVENT_SUBJECTS.projectActivity),
    });
    expect(stored.json<EventEnvelope>().data).toMatchObject({
      action: 'project.created',
      target: { id: project.id },
    });
  });

  it('records nothing for a refused change (a missing project, a taken slug)', async () => {
    const organizationId = newId();
    const tenant = tenantOf(organizationId, newId());
    await createProject(deps, entitlements, tenant, { name: 'One', slug: 'one' });
    await expect(createProject(deps, entitlements, tenant, { name: 'Two', slug: 'one' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(deleteProject(deps, tenant, newId())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const rows = await outboxOf(organizationId);
    expect(rows.map((row) => row.payload.data.action)).toEqual(['project.created']);
  });
});
