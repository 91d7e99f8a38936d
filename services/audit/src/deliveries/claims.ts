import type { EntityManager } from '@mikro-orm/postgresql';
import { type DeliveryRow, deliveryOf, type WebhookRow, webhookOf } from '../endpoints/entities.js';

/** A head of line this replica may send now, with its endpoint as it was when claimed. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  webhook: WebhookRow;
}

export interface ClaimRequest {
  /** Free slots: at most this many heads are claimed. */
  limit: number;
  /** How long a claim keeps other replicas off. */
  leaseMs: number;
  /** WEBHOOK_ORGANIZATION_CONCURRENCY: endpoints of one organization this replica may have in flight. */
  perOrganization: number;
  /** This replica's endpoints in flight, by organization id. */
  inFlight: ReadonlyMap<string, number>;
}

/**
 * Each enabled endpoint's head of line — its lowest-`position` pending delivery, found through the pending
 * index, one probe per endpoint — kept when it is due (later messages wait behind it). `slot` numbers an
 * organization's due heads after the ones it already has in flight, so ordering by it takes every
 * organization's first head before anyone's second (round-robin across tenants).
 */
const DUE_HEADS = `
  heads as (
    select h.id, h.position, h.next_attempt_at, w.organization_id
    from webhooks w
    cross join lateral (
      select d.id, d.position, d.next_attempt_at from webhook_deliveries d
      where d.webhook_id = w.id and d.status = 'pending'
      order by d.position
      limit 1) h
    where w.enabled and h.next_attempt_at <= now()),
  busy as (
    select key as organization_id, value::int as in_flight from jsonb_each_text(?::jsonb)),
  ranked as (
    select heads.*, coalesce(busy.in_flight, 0)
      + row_number() over (partition by heads.organization_id order by heads.next_attempt_at, heads.position) as slot
    from heads left join busy using (organization_id))`;

/**
 * Claims up to `limit` due heads of line, round-robin across organizations and at most `perOrganization` per
 * organization in flight, by pushing their next attempt `leaseMs` ahead. The lease keeps other replicas off
 * while this one sends; if this one dies, it runs out and the message is sent again (at least once). Rows
 * another replica is claiming right now are skipped, not waited for; the lock re-checks that a head is still
 * pending and due, so one that another replica just leased or completed is skipped too.
 */
export async function claimDueHeads(em: EntityManager, request: ClaimRequest): Promise<ClaimedDelivery[]> {
  if (request.limit <= 0) return [];
  return leaseAndLoad(
    em,
    `with ${DUE_HEADS},
     picked as (
       select d.id from webhook_deliveries d join ranked r on r.id = d.id
       where r.slot <= ? and d.status = 'pending' and d.next_attempt_at <= now()
       order by r.slot, r.next_attempt_at, r.position
       limit ?
       for update of d skip locked)`,
    [JSON.stringify(Object.fromEntries(request.inFlight)), request.perOrganization, request.limit],
    request.leaseMs,
  );
}

/**
 * Claims one endpoint's next message when it is the head of line and due: the worker keeps sending to an
 * endpoint that answers fast, in the transaction that recorded the previous success.
 */
export async function claimNextOf(em: EntityManager, webhookId: string, leaseMs: number): Promise<ClaimedDelivery[]> {
  return leaseAndLoad(
    em,
    `with head as (
       select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id and w.enabled
       where d.webhook_id = ? and d.status = 'pending'
       order by d.position
       limit 1),
     picked as (
       select d.id from webhook_deliveries d join head on head.id = d.id
       where d.status = 'pending' and d.next_attempt_at <= now()
       for update of d skip locked)`,
    [webhookId],
    leaseMs,
  );
}

/** Leases the deliveries a `picked` CTE chose and loads their endpoints. */
async function leaseAndLoad(
  em: EntityManager,
  picked: string,
  params: unknown[],
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `${picked}
     update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => ?)
     from picked where d.id = picked.id
     returning d.*`,
    [...params, leaseMs / 1000],
  );
  if (rows.length === 0) return [];
  const deliveries = rows.map(deliveryOf);
  const webhooks = await em.execute<Array<Record<string, unknown>>>('select * from webhooks where id in (?)', [
    deliveries.map((delivery) => delivery.webhookId),
  ]);
  const byId = new Map(webhooks.map((raw) => [raw.id as string, webhookOf(raw)]));
  return deliveries.flatMap((delivery) => {
    const webhook = byId.get(delivery.webhookId);
    return webhook ? [{ delivery, webhook }] : [];
  });
}
