import type { AuditAction } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhookRow } from '../endpoints/entities.js';
import { recordedUrl } from '../endpoints/redact.js';
import { journal } from '../journal/journal.js';
import type { RecordDraft } from '../records/append.js';

/** What an owner sees and changes of an endpoint; its secrets are never part of a record. */
const TRACKED = ['url', 'events', 'description', 'enabled'] as const;
type Tracked = Pick<WebhookRow, (typeof TRACKED)[number]>;
type Changes = NonNullable<RecordDraft['changes']>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A tracked field as a record shows it: a URL without what may be credentials in it. */
function recorded(row: Tracked, field: (typeof TRACKED)[number]): unknown {
  return field === 'url' ? recordedUrl(row.url) : row[field];
}

/**
 * Field by field `{before, after}` of what differs; a created endpoint has only `after`, a deleted one `before`.
 * A URL whose token alone changed is recorded as changed, both sides redacted the same.
 */
export function changesBetween(before: Tracked | null, after: Tracked | null): Changes {
  const changes: Changes = {};
  for (const field of TRACKED) {
    if (before && after && same(before[field], after[field])) continue;
    changes[field] = {
      ...(before && { before: recorded(before, field) }),
      ...(after && { after: recorded(after, field) }),
    };
  }
  return changes;
}

type WebhookAction = Extract<AuditAction, `webhook.${string}`>;

/**
 * Records a change of an endpoint in the organization's log, in the caller's transaction; who asked and from
 * where come from the request being served (journal()).
 */
export async function journalWebhook(
  em: EntityManager,
  action: WebhookAction,
  webhook: WebhookRow,
  changes: Changes | null,
): Promise<void> {
  await journal(em, {
    log: { organizationId: webhook.organizationId },
    action,
    target: { type: 'webhook', id: webhook.id, name: recordedUrl(webhook.url) },
    changes: changes && Object.keys(changes).length > 0 ? changes : null,
  });
}
