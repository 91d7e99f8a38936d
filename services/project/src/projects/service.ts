import { randomInt } from 'node:crypto';
import {
  AppError,
  conflict,
  type EntitlementsChanged,
  newId,
  notFound,
  type ProjectStatus,
} from '@gatehouse/contracts';
import {
  commitAndKick,
  type EntitlementsReadModel,
  findPage,
  likePattern,
  type PageRequest,
  requireWithinLimit,
  type ServiceDeps,
  slugify,
  type TenantAccess,
} from '@gatehouse/service-kit';
import {
  type EntityManager,
  type FilterQuery,
  LockMode,
  UniqueConstraintViolationException,
} from '@mikro-orm/postgresql';
import { projectChanges, recordProjectActivity } from '../activity.js';
import { ProjectUserSchema } from '../memberships/entities.js';
import { etagOf, type Project, ProjectSchema, presentProject } from './entities.js';

/** The caller is a member of `tenant.organizationId` (checked once per request, see service-kit routes.ts). */
const em = (deps: ServiceDeps) => deps.orm.em.fork();

/** One transaction; the audit events it recorded leave right after it commits. */
const commit = <T>(deps: ServiceDeps, work: (tx: EntityManager) => Promise<T>) =>
  commitAndKick(deps.orm.em, [deps.outbox], work);

async function withCreators(manager: EntityManager, projects: Project[]) {
  const ids = [...new Set(projects.map((project) => project.createdByUserId))];
  const users = ids.length ? await manager.find(ProjectUserSchema, { userId: { $in: ids } }) : [];
  const names = new Map(users.map((user) => [user.userId, user.fullName]));
  return projects.map((project) => presentProject(project, names.get(project.createdByUserId) ?? null));
}

async function findProject(manager: EntityManager, organizationId: string, projectId: string, lock = false) {
  const project = await manager.findOne(
    ProjectSchema,
    { id: projectId, organizationId },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!project) throw notFound('Project not found');
  return project;
}

async function availableSlug(manager: EntityManager, organizationId: string, name: string) {
  const base = slugify(name) || 'project';
  if (!(await manager.findOne(ProjectSchema, { organizationId, slug: base }))) return base;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = `${base}-${randomInt(1000, 1_000_000)}`;
    if (!(await manager.findOne(ProjectSchema, { organizationId, slug: candidate }))) return candidate;
  }
  return `${base}-${newId().slice(-8).toLowerCase()}`;
}

function slugTaken(error: unknown): never {
  if (error instanceof UniqueConstraintViolationException)
    throw conflict('SLUG_TAKEN', 'A project with this slug already exists');
  throw error;
}

export async function listProjects(
  deps: ServiceDeps,
  tenant: TenantAccess,
  query: PageRequest & { q?: string; status?: ProjectStatus },
) {
  const manager = em(deps);
  const where: Record<string, unknown> = { organizationId: tenant.organizationId };
  if (query.status) where.status = query.status;
  if (query.q) where.name = { $ilike: likePattern(query.q) };
  const page = await findPage(manager, ProjectSchema, where as FilterQuery<Project>, query, {
    sortable: { name: 'string', createdAt: 'date', updatedAt: 'date' },
    defaultSort: '-createdAt',
  });
  return { items: await withCreators(manager, page.items), meta: page.meta };
}

export async function getProject(deps: ServiceDeps, tenant: TenantAccess, projectId: string) {
  const manager = em(deps);
  const project = await findProject(manager, tenant.organizationId, projectId);
  const [presented] = await withCreators(manager, [project]);
  return { project: presented!, etag: etagOf(project) };
}

/**
 * The organization's plan limit, checked under a per-organization lock held to the commit: two creations at
 * once count one after the other, so together they cannot take the organization past its limit.
 */
async function requireRoomForProject(
  tx: EntityManager,
  organizationId: string,
  entitlements: EntitlementsChanged | null,
) {
  await tx.execute(`select pg_advisory_xact_lock(hashtext('projects:' || ?))`, [organizationId]);
  requireWithinLimit(entitlements, 'projects', await tx.count(ProjectSchema, { organizationId }));
}

export async function createProject(
  deps: ServiceDeps,
  entitlements: EntitlementsReadModel,
  tenant: TenantAccess,
  input: { name: string; slug?: string; description?: string | null; status?: ProjectStatus },
) {
  const manager = em(deps);
  // Read before the transaction: on a miss it may ask billing, which must not hold a connection and the lock.
  const plan = await entitlements.of(manager, tenant.organizationId);
  try {
    const project = await commit(deps, async (tx) => {
      await requireRoomForProject(tx, tenant.organizationId, plan);
      if (
        input.slug &&
        (await tx.findOne(ProjectSchema, { organizationId: tenant.organizationId, slug: input.slug }))
      ) {
        throw conflict('SLUG_TAKEN', 'A project with this slug already exists');
      }
      const now = new Date();
      const created = tx.create(ProjectSchema, {
        id: newId(),
        organizationId: tenant.organizationId,
        name: input.name.trim(),
        slug: input.slug ?? (await availableSlug(tx, tenant.organizationId, input.name)),
        description: input.description ?? null,
        status: input.status ?? 'draft',
        createdByUserId: tenant.principal.userId,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      recordProjectActivity(tx, 'project.created', created, tenant.principal.userId);
      return created;
    });
    const [presented] = await withCreators(manager, [project]);
    return { project: presented!, etag: etagOf(project) };
  } catch (error) {
    return slugTaken(error);
  }
}

/** If-Match lists one or more ETags (weak or strong form) or `*` for "whatever is current". */
function matchesETag(ifMatch: string, project: Project): boolean {
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  return tags.some((tag) => tag === '*' || tag === etagOf(project) || tag === `"${project.version}"`);
}

/** If-Match, when sent, must name the current version, so two clients never overwrite each other. */
export async function updateProject(
  deps: ServiceDeps,
  tenant: TenantAccess,
  projectId: string,
  input: { name?: string; slug?: string; description?: string | null; status?: ProjectStatus },
  ifMatch: string | undefined,
) {
  const manager = em(deps);
  try {
    const project = await commit(deps, async (tx) => {
      const found = await findProject(tx, tenant.organizationId, projectId);
      const before = { name: found.name, slug: found.slug, description: found.description, status: found.status };
      if (ifMatch !== undefined && !matchesETag(ifMatch, found)) {
        throw new AppError('PRECONDITION_FAILED', 'The project changed since you read it; fetch it again', {
          currentETag: etagOf(found),
        });
      }
      if (input.slug && input.slug !== found.slug) {
        if (await tx.findOne(ProjectSchema, { organizationId: tenant.organizationId, slug: input.slug })) {
          throw conflict('SLUG_TAKEN', 'A project with this slug already exists');
        }
        found.slug = input.slug;
      }
      if (input.name !== undefined) found.name = input.name.trim();
      if (input.description !== undefined) found.description = input.description;
      if (input.status !== undefined) found.status = input.status;
      // Compare-and-set on the version: a concurrent writer that slipped in makes this update touch no row.
      const updated = await tx.nativeUpdate(
        ProjectSchema,
        { id: found.id, version: found.version },
        {
          name: found.name,
          slug: found.slug,
          description: found.description,
          status: found.status,
          version: found.version + 1,
          updatedAt: new Date(),
        },
      );
      if (updated === 0)
        throw new AppError('PRECONDITION_FAILED', 'The project changed since you read it; fetch it again');
      tx.clear();
      const saved = await findProject(tx, tenant.organizationId, projectId);
      const changes = projectChanges(before, saved);
      if (changes) recordProjectActivity(tx, 'project.updated', saved, tenant.principal.userId, changes);
      return saved;
    });
    const [presented] = await withCreators(manager, [project]);
    return { project: presented!, etag: etagOf(project) };
  } catch (error) {
    return slugTaken(error);
  }
}

/** Locked first, so of two deletes at once the second finds nothing (404) and only one is recorded. */
export async function deleteProject(deps: ServiceDeps, tenant: TenantAccess, projectId: string) {
  await commit(deps, async (tx) => {
    const project = await findProject(tx, tenant.organizationId, projectId, true);
    tx.remove(project);
    recordProjectActivity(tx, 'project.deleted', project, tenant.principal.userId);
  });
}
