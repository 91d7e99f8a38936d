import type { AuditAction, AuthenticatedPrincipal, EventActor } from '@gatehouse/contracts';
import { actorOf } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import type { WebhookRow } from '../endpoints/entities.js';
import { journal } from '../journal/journal.js';
import type { RecordDraft } from '../records/append.js';

/** Who asked for a change and from where, as the audit record names them. */
export interface RequestOrigin {
  actor: EventActor;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export function originOf(request: FastifyRequest, principal: AuthenticatedPrincipal): RequestOrigin {
  return {
    // Tenant routes always carry a person's credential; the fallback only satisfies the type.
    actor: actorOf(principal) ?? { type: 'user', id: principal.userId },
    ip: request.clientIp || null,
    userAgent: request.userAgent || null,
    requestId: request.id,
  };
}

/** What an owner sees and changes of an endpoint; its secrets are never part of a record. */
const TRACKED = ['url', 'events', 'description', 'enabled'] as const;
type Tracked = Pick<WebhookRow, (typeof TRACKED)[number]>;
type Changes = NonNullable<RecordDraft['changes']>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field by field `{before, after}` of what differs; a created endpoint has only `after`, a deleted one `before`. */
export function changesBetween(before: Tracked | null, after: Tracked | null): Changes {
  const changes: Changes = {};
  for (const field of TRACKED) {
    if (before && after && same(before[field], after[field])) continue;
    changes[field] = {
      ...(before && { before: before[field] }),
      ...(after && { after: after[field] }),
    };
  }
  return changes;
}

type WebhookAction = Extract<AuditAction, `webhook.${string}`>;

/** Records a change of an endpoint in the organization's log, in the caller's transaction. */
export async function journalWebhook(
  em: EntityManager,
  origin: RequestOrigin,
  action: WebhookAction,
  webhook: WebhookRow,
  changes: Changes | null,
): Promise<void> {
  await journal(em, {
    log: { organizationId: webhook.organizationId },
    action,
    actor: origin.actor,
    target: { type: 'webhook', id: webhook.id, name: webhook.url },
    changes: changes && Object.keys(changes).length > 0 ? changes : null,
    ip: origin.ip,
    userAgent: origin.userAgent,
    requestId: origin.requestId,
  });
}
