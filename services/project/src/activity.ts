import { type ActivityRecorded, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Project } from './projects/entities.js';

type ProjectAction = 'project.created' | 'project.updated' | 'project.deleted';
type Changes = NonNullable<ActivityRecorded['changes']>;

/** The fields a record shows before and after; never anything else of the row. */
const AUDITED_FIELDS = ['name', 'slug', 'description', 'status'] as const;
type AuditedFields = Pick<Project, (typeof AUDITED_FIELDS)[number]>;

/**
 * A project's change for its organization's audit log, in the caller's transaction so it commits with the
 * change (the outbox relay publishes it after); the request's actor, ip, userAgent and requestId come along
 * (service-kit). `userId` is the person who acted.
 */
export function recordProjectActivity(
  em: EntityManager,
  action: ProjectAction,
  project: Project,
  userId: string,
  changes?: Changes,
): void {
  recordEvent(em, EVENT_SUBJECTS.projectActivity, {
    action,
    organizationId: project.organizationId,
    userId,
    target: { type: 'project', id: project.id, name: project.name },
    ...(changes && { changes }),
    outcome: 'success',
  });
}

/** What an update changed, field by field: only the fields whose value differs. */
export function projectChanges(before: AuditedFields, after: AuditedFields): Changes {
  const changes: Changes = {};
  for (const field of AUDITED_FIELDS) {
    if (before[field] !== after[field]) changes[field] = { before: before[field], after: after[field] };
  }
  return changes;
}
