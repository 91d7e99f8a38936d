import { type AuditAction, type AuditRecord, type ListMeta, roleHasPermission } from '@gatehouse/contracts';
import type { TenantAccess } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import { type AuditContext, readEm } from '../context.js';
import { journal } from '../journal/journal.js';
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

type LogAction = Extract<AuditAction, `audit_log.${string}`>;

/**
 * Records an action on the organization's log itself (an export, a retention change), in the caller's
 * transaction. Who asked and from where come from the request being served (journal() reads its context).
 */
export async function journalLogAction(
  em: EntityManager,
  organizationId: string,
  action: LogAction,
  changes: NonNullable<RecordDraft['changes']>,
): Promise<void> {
  await journal(em, { log: { organizationId }, action, target: { type: 'audit_log', id: organizationId }, changes });
}
