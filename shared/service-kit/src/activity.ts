import { isDeepStrictEqual } from 'node:util';
import type { ActivityRecorded, AuditAction, EVENT_SUBJECTS } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type NewOutboxEvent, newOutboxEvent, type OutboxEvent, recordEvent } from './outbox.js';

/** The subjects a service records its own audit actions on (docs/audit-logs.md). */
export type ActivitySubject =
  | typeof EVENT_SUBJECTS.identityActivity
  | typeof EVENT_SUBJECTS.organizationActivity
  | typeof EVENT_SUBJECTS.projectActivity
  | typeof EVENT_SUBJECTS.gatewayActivity
  | typeof EVENT_SUBJECTS.billingActivity;

/** One audit action of the catalogue (contracts' AUDIT_ACTIONS); a success unless it says otherwise. */
export type Activity = Omit<ActivityRecorded, 'action' | 'outcome'> & {
  action: AuditAction;
  outcome?: ActivityRecorded['outcome'];
};

export type Changes = NonNullable<ActivityRecorded['changes']>;

/**
 * Records the action in the caller's transaction, so the audit log hears of it exactly when the change
 * commits (the outbox relay publishes it after). The actor, ip, userAgent and requestId of the request or
 * consumed event being served come with it (event-context.ts).
 */
export function recordActivity(em: EntityManager, subject: ActivitySubject, activity: Activity): OutboxEvent {
  return recordEvent(em, subject, activityData(activity));
}

function activityData(activity: Activity): ActivityRecorded {
  const { changes, ...rest } = activity;
  return {
    ...rest,
    ...(changes && Object.keys(changes).length > 0 && { changes }),
    outcome: activity.outcome ?? 'success',
  };
}

/**
 * The same record as `recordActivity`, as a row to insert into `outbox_events` with the change's own SQL (a hot
 * path that writes without the ORM's unit of work); the envelope is outbox.ts's, as `recordEvent` writes it.
 */
export function activityEvent(subject: ActivitySubject, activity: Activity): NewOutboxEvent {
  return newOutboxEvent(subject, activityData(activity));
}

/**
 * The listed fields whose value differs, before → after; undefined when none did. Arrays and objects compare
 * by content, whatever their key order (jsonb keeps its own). `fields` names only what a record may show (never a secret).
 */
export function fieldChanges<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[],
): Changes | undefined {
  const changed = fields.filter((field) => !isDeepStrictEqual(before[field], after[field]));
  if (changed.length === 0) return undefined;
  return Object.fromEntries(changed.map((field) => [field, { before: before[field], after: after[field] }]));
}

/** What a creation set, as `after` values. */
export function createdWith(values: Record<string, unknown>): Changes {
  return Object.fromEntries(Object.entries(values).map(([field, value]) => [field, { after: value }]));
}
