import {
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  newId,
  notFound,
  type ProvisionRequest,
  type Role,
} from '@gatehouse/contracts';
import {
  findRowsPage,
  forgetEntitlements,
  type PageRequest,
  recordEvent,
  type TenantAccess,
} from '@gatehouse/service-kit';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { commit, type OrgContext, readEm } from '../context.js';
import { upsertDirectoryUser } from '../directory/service.js';
import { findOrganization, requireOwner } from './access.js';
import {
  MemberSchema,
  type Organization,
  OrganizationSchema,
  presentMembership,
  presentOrganization,
} from './entities.js';
import { availableSlug } from './slug.js';

function eventData(organization: Organization) {
  return { organizationId: organization.id, name: organization.name, slug: organization.slug };
}

/** Creates the organization with its first owner, and both events, in the caller's transaction. */
async function insertOrganization(
  em: EntityManager,
  input: { name: string; slug?: string; ownerId: string; defaultForUserId?: string },
  requestId?: string,
): Promise<Organization> {
  const slug = input.slug ?? (await availableSlug(em, input.name));
  if (input.slug && (await em.findOne(OrganizationSchema, { slug })))
    throw conflict('SLUG_TAKEN', 'This slug is taken');
  const now = new Date();
  const organization = em.create(OrganizationSchema, {
    id: newId(),
    name: input.name,
    slug,
    defaultForUserId: input.defaultForUserId ?? null,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  em.create(MemberSchema, {
    id: newId(),
    organizationId: organization.id,
    userId: input.ownerId,
    role: 'owner',
    joinedAt: now,
  });
  recordEvent(em, EVENT_SUBJECTS.organizationCreated, eventData(organization), requestId);
  recordEvent(
    em,
    EVENT_SUBJECTS.memberAdded,
    { organizationId: organization.id, userId: input.ownerId, role: 'owner' },
    requestId,
  );
  return organization;
}

export async function createOrganization(
  ctx: OrgContext,
  principal: AuthenticatedPrincipal,
  input: { name: string; slug?: string },
  requestId: string,
) {
  try {
    const organization = await commit(ctx, (em) =>
      insertOrganization(em, { name: input.name.trim(), slug: input.slug, ownerId: principal.userId }, requestId),
    );
    return presentOrganization(organization, 'owner');
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('SLUG_TAKEN', 'This slug is taken');
    throw error;
  }
}

/**
 * The organization every user gets at sign-up. Idempotent: the unique default_for_user_id
 * means the synchronous request and the durable event can both arrive and only one wins.
 */
export async function provisionDefault(em: EntityManager, user: ProvisionRequest, requestId?: string) {
  const existing = await em.findOne(OrganizationSchema, { defaultForUserId: user.userId });
  if (existing) return existing.id;
  await upsertDirectoryUser(em, { userId: user.userId, email: user.email, name: user.name });
  const organization = await insertOrganization(
    em,
    { name: `${user.name}'s organization`.slice(0, 100), ownerId: user.userId, defaultForUserId: user.userId },
    requestId,
  );
  return organization.id;
}

export async function provisionDefaultNow(ctx: OrgContext, user: ProvisionRequest): Promise<string> {
  try {
    return await commit(ctx, (em) => provisionDefault(em, user));
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    // The event handler won the race; its organization is the answer.
    const existing = await readEm(ctx).findOneOrFail(OrganizationSchema, { defaultForUserId: user.userId });
    return existing.id;
  }
}

interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  default_for_user_id: string | null;
  /** Raw SQL reads timestamps as text. */
  created_at: string;
  updated_at: string;
  role: Role;
}

/** The caller's organizations with their role in each; `q` matches the name. */
export async function listOrganizations(ctx: OrgContext, principal: AuthenticatedPrincipal, query: PageRequest) {
  const params: string[] = [principal.userId];
  let where = 'm.user_id = ?';
  // A pinned key sees only its organization.
  if (principal.organizationId) {
    where += ' and m.organization_id = ?';
    params.push(principal.organizationId);
  }
  const page = await findRowsPage<OrganizationRow>(
    readEm(ctx),
    {
      select: 'o.id, o.name, o.slug, o.default_for_user_id, o.created_at, o.updated_at, m.role',
      from: 'members m join organizations o on o.id = m.organization_id',
      where,
      params,
      id: 'o.id',
      sortable: { name: { column: 'o.name', kind: 'string' }, createdAt: { column: 'o.created_at', kind: 'date' } },
      defaultSort: 'createdAt',
      search: ['o.name'],
    },
    query,
  );
  return { items: page.items.map(presentOrganizationRow), meta: page.meta };
}

function presentOrganizationRow(row: OrganizationRow) {
  const organization: Organization = {
    id: row.id,
    name: row.name,
    slug: row.slug,
    defaultForUserId: row.default_for_user_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
  return presentOrganization(organization, row.role);
}

/** The caller is a member of `tenant.organizationId` (checked once per request, see service-kit routes.ts). */
export async function getOrganization(ctx: OrgContext, tenant: TenantAccess) {
  return presentOrganization(await findOrganization(readEm(ctx), tenant.organizationId), tenant.role);
}

/** The contract's permission (organization:manage-members) was checked before this runs. */
export async function updateOrganization(
  ctx: OrgContext,
  tenant: TenantAccess,
  input: { name?: string; slug?: string },
  requestId: string,
) {
  try {
    const organization = await commit(ctx, async (em) => {
      const org = await findOrganization(em, tenant.organizationId);
      const previous = { name: org.name, slug: org.slug };
      if (input.slug && input.slug !== org.slug) {
        if (await em.findOne(OrganizationSchema, { slug: input.slug }))
          throw conflict('SLUG_TAKEN', 'This slug is taken');
        org.slug = input.slug;
      }
      if (input.name) org.name = input.name.trim();
      org.updatedAt = new Date();
      recordEvent(em, EVENT_SUBJECTS.organizationUpdated, { ...eventData(org), previous }, requestId);
      return org;
    });
    return presentOrganization(organization, tenant.role);
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('SLUG_TAKEN', 'This slug is taken');
    throw error;
  }
}

/** Only owners delete; every service drops the organization's data (its plan included) on the event. */
export async function deleteOrganization(ctx: OrgContext, tenant: TenantAccess, requestId: string) {
  requireOwner(tenant.role, 'delete an organization');
  await commit(ctx, async (em) => {
    const org = await findOrganization(em, tenant.organizationId);
    // Its invitations go with it (on delete cascade), so this folder need not know them.
    await em.nativeDelete(MemberSchema, { organizationId: org.id });
    recordEvent(em, EVENT_SUBJECTS.organizationDeleted, eventData(org), requestId);
    em.remove(org);
    await forgetEntitlements(em, org.id);
  });
}

/** The loader handed over only the role; the membership's id and join date are read here. */
export async function getMyMembership(ctx: OrgContext, tenant: TenantAccess) {
  const member = await readEm(ctx).findOne(MemberSchema, {
    organizationId: tenant.organizationId,
    userId: tenant.principal.userId,
  });
  // Gone since the request was let in (the member left or the organization was deleted meanwhile).
  if (!member) throw notFound('Organization not found');
  return presentMembership(member);
}
