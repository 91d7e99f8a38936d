import {
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  newId,
  type ProvisionRequest,
  type Role,
} from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { commit, type OrgContext, readEm } from '../context.js';
import { upsertDirectoryUser } from '../directory/service.js';
import { InviteSchema } from '../invites/entities.js';
import { type Access, requireOwner, requirePermission } from './access.js';
import { MemberSchema, type Organization, OrganizationSchema, presentOrganization } from './entities.js';
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

export async function listOrganizations(
  ctx: OrgContext,
  principal: AuthenticatedPrincipal,
  query: { offset: number; limit: number; q?: string; sort?: string },
) {
  const em = readEm(ctx);
  const where: Record<string, unknown> = { userId: principal.userId };
  // A pinned key sees only its organization.
  if (principal.organizationId) where.organizationId = principal.organizationId;
  const memberships = await em.find(MemberSchema, where);
  const roles = new Map(memberships.map((member) => [member.organizationId, member.role]));
  const organizations = await em.find(OrganizationSchema, { id: { $in: [...roles.keys()] } });
  const needle = query.q?.toLowerCase();
  const filtered = needle ? organizations.filter((org) => org.name.toLowerCase().includes(needle)) : organizations;
  const sort = query.sort ?? 'createdAt';
  const field = sort.replace(/^-/, '') as 'name' | 'createdAt';
  const direction = sort.startsWith('-') ? -1 : 1;
  filtered.sort((a, b) =>
    a[field] < b[field] ? -direction : a[field] > b[field] ? direction : a.id.localeCompare(b.id),
  );
  const page = filtered.slice(query.offset, query.offset + query.limit);
  return {
    items: page.map((org) => presentOrganization(org, roles.get(org.id) ?? null)),
    meta: {
      total: filtered.length,
      offset: query.offset,
      limit: query.limit,
      hasMore: query.offset + page.length < filtered.length,
    },
  };
}

export async function updateOrganization(
  ctx: OrgContext,
  access: Access,
  input: { name?: string; slug?: string },
  requestId: string,
) {
  requirePermission(access, 'organization:manage-members');
  try {
    const organization = await commit(ctx, async (em) => {
      const org = await em.findOneOrFail(OrganizationSchema, { id: access.organization.id });
      if (input.slug && input.slug !== org.slug) {
        if (await em.findOne(OrganizationSchema, { slug: input.slug }))
          throw conflict('SLUG_TAKEN', 'This slug is taken');
        org.slug = input.slug;
      }
      if (input.name) org.name = input.name.trim();
      org.updatedAt = new Date();
      recordEvent(em, EVENT_SUBJECTS.organizationUpdated, eventData(org), requestId);
      return org;
    });
    return presentOrganization(organization, access.member.role);
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('SLUG_TAKEN', 'This slug is taken');
    throw error;
  }
}

/** Only owners delete; every service drops the organization's data on the event. */
export async function deleteOrganization(ctx: OrgContext, access: Access, requestId: string) {
  requireOwner(access, 'delete an organization');
  await commit(ctx, async (em) => {
    const org = await em.findOneOrFail(OrganizationSchema, { id: access.organization.id });
    await em.nativeDelete(InviteSchema, { organizationId: org.id });
    await em.nativeDelete(MemberSchema, { organizationId: org.id });
    recordEvent(em, EVENT_SUBJECTS.organizationDeleted, eventData(org), requestId);
    em.remove(org);
  });
}

export function presentMembership(access: Access) {
  return {
    id: access.member.id,
    organizationId: access.organization.id,
    userId: access.member.userId,
    role: access.member.role as Role,
    joinedAt: access.member.joinedAt.toISOString(),
  };
}
