import { type ActivityRecorded, type AuditAction, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';

/** One audit action identity records itself (contracts' AUDIT_ACTIONS whose source is identity's activity). */
export type IdentityActivity = Omit<ActivityRecorded, 'action' | 'outcome'> & {
  action: AuditAction;
  outcome?: ActivityRecorded['outcome'];
};

/**
 * Records the action in the caller's transaction, so the audit log hears of it exactly when the change
 * commits. The request's actor, ip, userAgent and requestId come with it (service-kit's event context).
 */
export function recordActivity(em: EntityManager, activity: IdentityActivity): void {
  recordEvent(em, EVENT_SUBJECTS.identityActivity, { ...activity, outcome: activity.outcome ?? 'success' });
}

export type Changes = NonNullable<ActivityRecorded['changes']>;

/** Each field whose value differs, before → after; `fields` names only what may be shown (never a secret). */
export function changesBetween<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]): Changes {
  const changes: Changes = {};
  for (const field of fields) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) {
      changes[field] = { before: before[field], after: after[field] };
    }
  }
  return changes;
}

/** What a creation set, as `after` values. */
export function createdWith(values: Record<string, unknown>): Changes {
  return Object.fromEntries(Object.entries(values).map(([field, value]) => [field, { after: value }]));
}
