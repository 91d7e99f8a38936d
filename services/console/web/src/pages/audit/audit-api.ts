import type { components } from '@gatehouse/sdk';
import { recordCall } from '../../api/calls';
import { api, call, callList } from '../../api/client';
import { organizationKey } from '../../api/organizations';

/** The audit screens' reads: an organization's log, my own, the chain check and the export's address. */

export type AuditRecord = components['schemas']['AuditRecord'];
export type ChainVerification = components['schemas']['AuditChainVerification'];

const LOG = '/api/user/organizations/{organizationId}/audit-logs' as const;
const MY_LOG = '/api/user/me/audit-logs' as const;
/** A log is read a page at a time: enough to fill a screen, few enough to answer fast. */
export const AUDIT_PAGE_SIZE = 50;

/** The filters as the screen holds them: a family pattern, search text and calendar days (YYYY-MM-DD). */
export interface AuditFilters {
  action: string;
  q: string;
  since: string;
  until: string;
}

export const NO_FILTERS: AuditFilters = { action: '', q: '', since: '', until: '' };

export interface AuditPage {
  items: AuditRecord[];
  nextCursor: string | null;
}

/** The start of a calendar day in the person's own time zone, as the instant the API takes. */
function startOfDay(day: string, plusDays = 0): string {
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
}

/**
 * The API's query for these filters. `until` is exclusive there and a whole day here, so the day
 * after it is sent: "until 3 March" includes 3 March.
 */
export function auditQueryOf(filters: AuditFilters) {
  return {
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.since ? { since: startOfDay(filters.since) } : {}),
    ...(filters.until ? { until: startOfDay(filters.until, 1) } : {}),
  };
}

export const auditLogKey = (organizationId: string) => [...organizationKey(organizationId), 'audit-log'] as const;
export const MY_ACTIVITY_KEY = ['account', 'audit-log'] as const;

export async function fetchOrganizationPage(
  organizationId: string,
  filters: AuditFilters,
  cursor: string | undefined,
): Promise<AuditPage> {
  return callList(
    api.GET(LOG, {
      params: { path: { organizationId }, query: { limit: AUDIT_PAGE_SIZE, cursor, ...auditQueryOf(filters) } },
    }),
  );
}

export async function fetchMyPage(filters: AuditFilters, cursor: string | undefined): Promise<AuditPage> {
  return callList(api.GET(MY_LOG, { params: { query: { limit: AUDIT_PAGE_SIZE, cursor, ...auditQueryOf(filters) } } }));
}

export function verifyChain(organizationId: string): Promise<ChainVerification> {
  return call(api.GET(`${LOG}/verify`, { params: { path: { organizationId } } }));
}

/**
 * The export's address, for a plain link: the browser downloads it with the session cookie, so a log
 * of any size streams to disk instead of through the page's memory.
 */
export function exportPath(organizationId: string, format: 'jsonl' | 'csv', filters: AuditFilters): string {
  const query = new URLSearchParams({ format, ...auditQueryOf(filters) });
  return `/api/user/organizations/${encodeURIComponent(organizationId)}/audit-logs/export?${query}`;
}

/** A download is no SDK call: it is put in the "Use the API" panel by hand. */
export function recordExport(path: string): void {
  recordCall({ method: 'GET', path });
}
