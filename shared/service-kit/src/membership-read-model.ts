import {
  EVENT_SUBJECTS,
  type MembershipReply,
  type MembershipRequest,
  type Role,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DurableConsumer, type EventHandlers } from './consumer.js';
import { queryRows } from './db.js';
import { requestRpc } from './rpc.js';
import type { ServiceDeps } from './service.js';

export interface Membership {
  organizationId: string;
  userId: string;
  role: Role;
}

/** Writes one membership into a read model table (from an event, or a reply the service asked for itself). */
export async function recordMembership(em: EntityManager, table: string, membership: Membership): Promise<void> {
  await em.execute(
    `insert into ${table} (organization_id, user_id, role) values (?, ?, ?)
     on conflict (organization_id, user_id) do update set role = excluded.role`,
    [membership.organizationId, membership.userId, membership.role],
  );
}

export interface MembershipReadModelOptions {
  /** The service's own table of (organization_id, user_id, role), created by its migrations. */
  table: string;
  /** Durable consumer name, unique per service. */
  durable: string;
  /** More to forget when an organization is deleted (e.g. the service's rows of that organization). */
  onOrganizationDeleted?: (em: EntityManager, organizationId: string) => Promise<void>;
}

/**
 * A service's copy of who belongs to which organization with which role, kept from the
 * organization events, and the one way to ask it: the copy answers; on a miss (an event not yet
 * arrived) the organization service is asked once over NATS. The event stays the source of truth,
 * so an RPC answer serves that request and is not written down.
 */
export class MembershipReadModel {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly options: MembershipReadModelOptions,
  ) {}

  /** The user's role in the organization, or null when they are not a member (or it does not exist). */
  async roleOf(em: EntityManager, organizationId: string, userId: string): Promise<Role | null> {
    const rows = await queryRows<{ role: Role }>(
      em,
      `select role from ${this.options.table} where organization_id = ? and user_id = ?`,
      [organizationId, userId],
    );
    if (rows[0]) return rows[0].role;
    const reply = await requestRpc<MembershipRequest, MembershipReply>(
      this.deps.messaging.nc,
      this.deps.messaging.subject(RPC_SUBJECTS.getMembership),
      { organizationId, userId },
    );
    return reply.found ? reply.role : null;
  }

  /** The durable consumer that keeps the copy. */
  consumer(): DurableConsumer {
    const { table, onOrganizationDeleted } = this.options;
    const upsert = (em: EntityManager, data: Membership) => recordMembership(em, table, data);
    const handlers: EventHandlers = {
      [EVENT_SUBJECTS.memberAdded]: (event, em) => upsert(em, event.data),
      [EVENT_SUBJECTS.memberRoleChanged]: (event, em) => upsert(em, event.data),
      [EVENT_SUBJECTS.memberRemoved]: async (event, em) => {
        await em.execute(`delete from ${table} where organization_id = ? and user_id = ?`, [
          event.data.organizationId,
          event.data.userId,
        ]);
      },
      [EVENT_SUBJECTS.organizationDeleted]: async (event, em) => {
        await em.execute(`delete from ${table} where organization_id = ?`, [event.data.organizationId]);
        await onOrganizationDeleted?.(em, event.data.organizationId);
      },
    };
    return new DurableConsumer({
      messaging: this.deps.messaging,
      em: this.deps.orm.em,
      logger: this.deps.logger,
      durable: this.options.durable,
      filter: 'events.organization.>',
      handlers,
    });
  }
}
