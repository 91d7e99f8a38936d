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
  findRowsPage,
  type PageRequest,
  queryRows,
  requireWithinLimit,
  type ServiceDeps,
  STORED_ENTITLEMENTS_SQL,
  slugify,
  type TenantAccess,
} from '@gatehouse/service-kit';
import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { projectActivityEvent, projectChanges, recordProjectActivity } from '../activity.js';
import { ProjectUserSchema } from '../memberships/entities.js';
import { etagOf, type Project, ProjectSchema, presentProject } from './entities.js';
import {
  type PlanGate,
  PROJECT_COLUMNS,
  PROJECT_SORTS,
  type ProjectInsertRow,
  type ProjectRow,
  projectInsertStatement,
  projectOf,
} from './sql.js';

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
  const where = ['p.organization_id = ?'];
  const params: unknown[] = [tenant.organizationId];
  if (query.status) {
    where.push('p.status = ?');
    params.push(query.status);
  }
  // One statement for the page, its total and the creators' names (findRowsPage).
  const page = await findRowsPage<ProjectRow>(
    em(deps),
    {
      select: PROJECT_COLUMNS,
      from: 'projects p',
      where: where.join(' and '),
      params,
      id: 'p.id',
      sortable: PROJECT_SORTS,
      defaultSort: '-createdAt',
      search: ['p.name'],
    },
    query,
  );
  return { items: page.items.map((row) => presentProject(projectOf(row), row.creator_name)), meta: page.meta };
}

export async function getProject(deps: ServiceDeps, tenant: TenantAccess, projectId: string) {
  const manager = em(deps);
  const project = await findProject(manager, tenant.organizationId, projectId);
  const [presented] = await withCreators(manager, [project]);
  return { project: presented!, etag: etagOf(project) };
}

type CreateInput = { name: string; slug?: string; description?: string | null; status?: ProjectStatus };

/** The slugs a creation tries, in order: the one asked for, or the name's, then with a numeric suffix. */
function slugCandidates(input: CreateInput): string[] {
  if (input.slug) return [input.slug];
  const base = slugify(input.name) || 'project';
  const suffixed = Array.from({ length: 8 }, () => `${base}-${randomInt(1000, 1_000_000)}`);
  return [base, ...suffixed, `${base}-${newId().slice(-8).toLowerCase()}`];
}

/** A few picks: each loses only to a writer that took the picked slug between the pick and the insert. */
const SLUG_ATTEMPTS = 3;

type Inserted = Project & { creatorName: string | null };

/** The stored gate let nothing through: the copy's plan limits projects, or it holds no plan (null). */
type PlanNeeded = { storedPlan: EntitlementsChanged | null };

/**
 * Inserts the project and its project.created event in one statement, as far as `gate` lets it (see PlanGate; with
 * the limited gate the caller holds the organization's lock, see createProject).
 */
async function insertProject(
  manager: EntityManager,
  tenant: TenantAccess,
  input: CreateInput,
  gate: PlanGate,
  plan: EntitlementsChanged | null = null,
): Promise<Inserted | PlanNeeded> {
  const now = new Date();
  const project = {
    id: newId(),
    organizationId: tenant.organizationId,
    name: input.name.trim(),
    description: input.description ?? null,
    status: input.status ?? 'draft',
    createdByUserId: tenant.principal.userId,
    createdAt: now,
    updatedAt: now,
  };
  const event = projectActivityEvent('project.created', project, tenant.principal.userId);
  for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
    const { sql, params } = projectInsertStatement({ project, slugs: slugCandidates(input), event, gate });
    const [row] = await queryRows<ProjectInsertRow>(manager, sql, params);
    if (row?.id) return { ...projectOf(row as ProjectRow), creatorName: row.creator_name ?? null };
    if (gate.kind === 'stored' && !setsNoLimit(row?.stored_plan)) return { storedPlan: row?.stored_plan ?? null };
    if (row?.current != null) requireWithinLimit(plan, 'projects', row.current);
    if (input.slug) throw conflict('SLUG_TAKEN', 'A project with this slug already exists');
  }
  throw conflict('SLUG_TAKEN', 'A project with this slug already exists');
}

/** The plan's project limit; null when it sets none, or when the plan is unknown (failing open). */
const limitOf = (plan: EntitlementsChanged | null) => plan?.entitlements.maxProjects ?? null;

/** A plan is known and sets no project limit (what the stored gate lets through). */
const setsNoLimit = (plan: EntitlementsChanged | null | undefined) => plan != null && limitOf(plan) === null;

/** Only the stored gate answers PlanNeeded: with the others, an insert that did not happen has thrown. */
function insertedBy(result: Inserted | PlanNeeded): Inserted {
  if ('storedPlan' in result) throw new Error('only the stored plan gate leaves the plan to the caller');
  return result;
}

/** The first try: the statement reads the stored plan itself, so an unlimited organization's creation is one round trip. */
const STORED_PLAN: PlanGate = { kind: 'stored', planSql: STORED_ENTITLEMENTS_SQL };

/**
 * The organization's plan limit is exact under concurrency: with a limit, the creation counts under a
 * per-organization lock held to the commit, so two at once count one after the other and together cannot
 * take the organization past it. (The count is a statement after the lock's: under READ COMMITTED each
 * statement sees what committed before it began.) Without a limit (an unlimited plan, or billing unreachable:
 * failing open) there is nothing to count, and the creation is one statement with no lock: the first, which reads
 * the stored plan itself and inserts only when it sets no limit. Otherwise that statement answers the stored plan, or
 * none (then the read model asks billing), and the creation goes on by that plan.
 */
export async function createProject(
  deps: ServiceDeps,
  entitlements: EntitlementsReadModel,
  tenant: TenantAccess,
  input: CreateInput,
) {
  const first = await insertProject(em(deps), tenant, input, STORED_PLAN);
  const created =
    'storedPlan' in first ? insertedBy(await createByPlan(deps, entitlements, tenant, input, first)) : first;
  // The event committed with the project: the relay publishes it now.
  deps.outbox.kick();
  return { project: presentProject(created, created.creatorName), etag: etagOf(created) };
}

/** The creation once the stored gate let nothing through: by the stored plan's limit, or by what billing answers. */
async function createByPlan(
  deps: ServiceDeps,
  entitlements: EntitlementsReadModel,
  tenant: TenantAccess,
  input: CreateInput,
  { storedPlan }: PlanNeeded,
) {
  // Asked before any transaction: on a miss it may ask billing, which must not hold a connection and the lock.
  const plan = storedPlan ?? (await entitlements.of(em(deps), tenant.organizationId));
  const limit = limitOf(plan);
  if (limit === null) return insertProject(em(deps), tenant, input, { kind: 'unlimited' });
  return em(deps).transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(hashtext('projects:' || ?))`, [tenant.organizationId]);
    return insertProject(tx, tenant, input, { kind: 'limited', limit }, plan);
  });
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
