import {
  AppError,
  type EntitlementsChanged,
  type EntitlementsReply,
  type EntitlementsRequest,
  EVENT_SUBJECTS,
  type LimitedResource,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DurableConsumer } from './consumer.js';
import { queryRows } from './db.js';
import { requestRpc } from './rpc.js';
import type { ServiceDeps } from './service.js';

/** The table every service that enforces a plan keeps (its migration runs this). */
export const ENTITLEMENTS_TABLE_SQL = `create table organization_entitlements (
  organization_id varchar(26) primary key,
  revision bigint not null,
  entitlements jsonb not null,
  read_only_after timestamptz null
);
create index organization_entitlements_read_only_idx on organization_entitlements (read_only_after)
  where read_only_after is not null;`;

const TABLE = 'organization_entitlements';

/**
 * The stored plan of the organization the `?` names, for a service's own statement to read in the same round trip
 * as its write: its `entitlements` column is what `EntitlementsReadModel.of` answers when the copy has the plan.
 */
export const STORED_ENTITLEMENTS_SQL = `select entitlements from ${TABLE} where organization_id = ?`;
const ENTITLEMENTS_RPC_TIMEOUT_MS = 1000;

/**
 * A service's copy of what each organization's plan allows, kept from `billing.entitlements.changed` (the highest
 * revision wins, so a late older event changes nothing). On a miss billing is asked once and its answer kept; when billing cannot
 * answer either, the answer is null and the caller applies no limit: a billing outage must not stop every
 * organization from working (docs/billing.md "Failing open").
 */
export class EntitlementsReadModel {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'messaging' | 'orm' | 'logger' | 'outbox'>,
    private readonly durable: string,
    /** Runs in the consumer's transaction after each event is stored (identity announces read-only changes). */
    private readonly onRecorded?: (
      em: EntityManager,
      data: EntitlementsChanged,
      recorded: RecordedEntitlements,
    ) => void,
  ) {}

  async of(em: EntityManager, organizationId: string): Promise<EntitlementsChanged | null> {
    const rows = await queryRows<{ entitlements: EntitlementsChanged }>(em, STORED_ENTITLEMENTS_SQL, [organizationId]);
    if (rows[0]) return rows[0].entitlements;
    try {
      const reply = await requestRpc<EntitlementsRequest, EntitlementsReply>(
        this.deps.messaging.nc,
        this.deps.messaging.subject(RPC_SUBJECTS.getEntitlements),
        { organizationId },
        // Short: a creation waits on it, and without an answer the limit is not applied anyway.
        ENTITLEMENTS_RPC_TIMEOUT_MS,
      );
      if (!reply.found) return null;
      // Kept like an event: any later revision replaces it, and an organization billing has not seen yet (revision 0,
      // the free tier) is not asked about again on every creation.
      await recordEntitlements(em, reply.entitlements);
      return reply.entitlements;
    } catch (failure) {
      if (!(failure instanceof AppError)) throw failure;
      this.deps.logger.warn({ organizationId }, 'entitlements unknown (billing did not answer): no plan limit applied');
      return null;
    }
  }

  consumer(): DurableConsumer {
    return new DurableConsumer({
      messaging: this.deps.messaging,
      em: this.deps.orm.em,
      logger: this.deps.logger,
      durable: this.durable,
      filter: 'events.billing.entitlements.>',
      handlers: {
        [EVENT_SUBJECTS.billingEntitlementsChanged]: async (event, em) => {
          const recorded = await recordEntitlements(em, event.data);
          this.onRecorded?.(em, event.data, recorded);
        },
      },
      ...(this.onRecorded && { afterCommit: () => this.deps.outbox.kick() }),
    });
  }
}

/** What storing an entitlements event changed. */
export interface RecordedEntitlements {
  /** The event was newer than the stored copy and replaced it. */
  applied: boolean;
  /** The read-only deadline is not what it was (it began, moved, or ended with a payment). */
  readOnlyAfterChanged: boolean;
}

/** Keeps the newer of what is stored and what arrived. */
export async function recordEntitlements(em: EntityManager, data: EntitlementsChanged): Promise<RecordedEntitlements> {
  const before = (await em.execute(`select read_only_after from ${TABLE} where organization_id = ? for update`, [
    data.organizationId,
  ])) as { read_only_after: Date | string | null }[];
  const applied = (await em.execute(
    `insert into ${TABLE} (organization_id, revision, entitlements, read_only_after) values (?, ?, ?, ?)
     on conflict (organization_id) do update
       set revision = excluded.revision, entitlements = excluded.entitlements, read_only_after = excluded.read_only_after
       where ${TABLE}.revision < excluded.revision
     returning organization_id`,
    [data.organizationId, data.revision, JSON.stringify(data), data.readOnlyAfter],
  )) as unknown[];
  const previous = before[0]?.read_only_after ?? null;
  const previousMs = previous === null ? null : new Date(previous).getTime();
  const nextMs = data.readOnlyAfter === null ? null : new Date(data.readOnlyAfter).getTime();
  return { applied: applied.length > 0, readOnlyAfterChanged: applied.length > 0 && previousMs !== nextMs };
}

/** An organization was deleted: its plan goes with it. */
export async function forgetEntitlements(em: EntityManager, organizationId: string): Promise<void> {
  await em.execute(`delete from ${TABLE} where organization_id = ?`, [organizationId]);
}

/** Whether the organization is read-only now (its unpaid grace period has ended). */
export function isReadOnly(entitlements: EntitlementsChanged | null, now = new Date()): boolean {
  return entitlements?.readOnlyAfter != null && new Date(entitlements.readOnlyAfter) <= now;
}

const LIMIT_FIELD = { projects: 'maxProjects', members: 'maxMembers' } as const;

/**
 * Refuses a creation that would take the organization past its plan: `current` is how many there are now.
 * Unknown entitlements (billing unreachable) and unlimited plans let it through.
 */
export function requireWithinLimit(
  entitlements: EntitlementsChanged | null,
  resource: LimitedResource,
  current: number,
): void {
  const limit = entitlements?.entitlements[LIMIT_FIELD[resource]];
  if (entitlements == null || limit == null || current < limit) return;
  throw planLimitReached(entitlements, resource, limit, current);
}

export function planLimitReached(
  entitlements: EntitlementsChanged,
  resource: LimitedResource,
  limit: number,
  current: number,
): AppError {
  return new AppError(
    'PLAN_LIMIT_REACHED',
    `The organization's plan allows ${limit} ${resource}: upgrade to add more`,
    { resource, limit, current, upgradeUrl: entitlements.upgradeUrl },
  );
}

/** 403 SUBSCRIPTION_INACTIVE for a write in an organization that is read-only. */
export function subscriptionInactive(organizationId: string, since: string, upgradeUrl: string): AppError {
  return new AppError(
    'SUBSCRIPTION_INACTIVE',
    'The subscription is unpaid past its grace period: the organization is read-only until it is paid',
    { organizationId, readOnlySince: since, upgradeUrl },
  );
}
