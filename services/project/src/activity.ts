import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { type Activity, activityEvent, type Changes, fieldChanges, recordActivity } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Project } from './projects/entities.js';

type ProjectAction = 'project.created' | 'project.updated' | 'project.deleted';

/** The fields a record shows before and after; never anything else of the row. */
const AUDITED_FIELDS = ['name', 'slug', 'description', 'status'] as const;
type AuditedFields = Pick<Project, (typeof AUDITED_FIELDS)[number]>;

/** The project a record names: its organization, and the target's id and name. */
type ProjectTarget = Pick<Project, 'id' | 'organizationId' | 'name'>;

function projectActivity(action: ProjectAction, project: ProjectTarget, userId: string, changes?: Changes): Activity {
  return {
    action,
    organizationId: project.organizationId,
    userId,
    target: { type: 'project', id: project.id, name: project.name },
    changes,
  };
}

/**
 * A project's change for its organization's audit log, in the caller's transaction so it commits with the
 * change (service-kit's recordActivity). `userId` is the person who acted.
 */
export function recordProjectActivity(
  em: EntityManager,
  action: ProjectAction,
  project: ProjectTarget,
  userId: string,
  changes?: Changes,
): void {
  recordActivity(em, EVENT_SUBJECTS.projectActivity, projectActivity(action, project, userId, changes));
}

/** The same record as an outbox row, for a change written with its own SQL (the creation's one statement). */
export function projectActivityEvent(action: ProjectAction, project: ProjectTarget, userId: string) {
  return activityEvent(EVENT_SUBJECTS.projectActivity, projectActivity(action, project, userId));
}

/** What an update changed, field by field (only the audited fields); undefined when nothing did. */
export function projectChanges(before: AuditedFields, after: AuditedFields): Changes | undefined {
  return fieldChanges(before, after, AUDITED_FIELDS);
}
