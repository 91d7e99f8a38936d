import {
  type AuditAction,
  type AuditRecord,
  type AuthenticatedPrincipal,
  type ListMeta,
  roleHasPermission,
} from '@gatehouse/contracts';
import { actorOf, type TenantAccess } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { type AuditContext, readEm } from '../context.js';
import { journal } from '../journal/journal.js';
import { nameOf } from '../people/people.js';
import type { RecordDraft } from '../records/append.js';
import { presentRecord } from '../records/present.js';
import { findLogPage, type LogFilters, type LogScope, logScope } from './query.js';

export interface LogListQuery extends LogFilters {
  limit: number;
  cursor?: string;
}

/**
 * What of an organization's log a member may read: owners (`organization:manage-security`) all of it, anyone
 * else the records of their own actions (made by them, or by their keys and apps).
 */
export function organizationScope(tenant: TenantAccess, filters: LogFilters): LogScope {
  const seesAll = roleHasPermission(tenant.role, 'organization:manage-security');
  return logScope(
    { organizationId: tenant.organizationId, ...(!seesAll && { actorUserId: tenant.principal.userId }) },
    filters,
  );
}

export async function listOrganizationLog(ctx: AuditContext, tenant: TenantAccess, query: LogListQuery) {
  return listLog(ctx, organizationScope(tenant, query), query);
}

/** The caller's own security log (sign-ins, sessions, keys…). */
export async function listAccountLog(ctx: AuditContext, userId: string, query: LogListQuery) {
  return listLog(ctx, logScope({ userId }, query), query);
}

async function listLog(
  ctx: AuditContext,
  scope: LogScope,
  query: LogListQuery,
): Promise<{ items: Static<typeof AuditRecord>[]; meta: ListMeta }> {
  const page = await findLogPage(readEm(ctx), scope, { limit: query.limit, cursor: query.cursor });
  return { items: page.items.map(presentRecord), meta: page.meta };
}

/** Who asked and from where, for a record the audit service makes itself while serving a request. */
export type RequestOrigin = Pick<RecordDraft, 'actor' | 'ip' | 'userAgent' | 'requestId'>;

export function requestOrigin(request: FastifyRequest, principal: AuthenticatedPrincipal): RequestOrigin {
  // Tenant routes always carry a person's credential; the fallback only satisfies the type.
  const actor = actorOf(principal) ?? { type: 'user' as const, id: principal.userId };
  return {
    actor: { type: actor.type, id: actor.id, userId: actor.userId ?? null },
    ip: request.clientIp || null,
    userAgent: request.userAgent || null,
    requestId: request.id,
  };
}

type LogAction = Extract<AuditAction, `audit_log.${string}`>;

/** Records an action on the organization's log itself (an export, a retention change), in the caller's transaction. */
export async function journalLogAction(
  em: EntityManager,
  organizationId: string,
  action: LogAction,
  origin: RequestOrigin,
  changes: NonNullable<RecordDraft['changes']>,
): Promise<void> {
  const name = await nameOf(em, origin.actor.type === 'user' ? origin.actor.id : origin.actor.userId);
  await journal(em, {
    log: { organizationId },
    action,
    ...origin,
    actor: { ...origin.actor, name },
    target: { type: 'audit_log', id: organizationId },
    changes,
  });
}
