import {
  type AuthenticatedPrincipal,
  type MembershipReply,
  newId,
  type Role,
  RPC_SUBJECTS,
  TOKEN_SCOPES,
} from '@gatehouse/contracts';
import { StringCodec } from 'nats';
import { appendRecord, type RecordDraft } from '../src/records/append.js';
import type { AuditRecordRow } from '../src/records/entities.js';
import type { AuditHarness } from './harness.js';

/** Shared set-up of the audit log suites (logs, export, verify, retention): people, records, calls. */

export function personPrincipal(userId = newId(), kind: 'session' | 'api_key' = 'session'): AuthenticatedPrincipal {
  return { kind, userId, credentialId: newId(), scopes: [...TOKEN_SCOPES], role: 'user', organizationId: null };
}

export async function addMember(h: AuditHarness, organizationId: string, userId: string, role: Role): Promise<void> {
  await h.service.deps.orm.em
    .fork()
    .execute('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [
      organizationId,
      userId,
      role,
    ]);
}

/**
 * Stands in for the organization service's membership RPC (asked when the read model has no row): nobody else
 * is a member. Without it a non-member's request would wait for a responder that is not running.
 */
export function answerNoMembership(h: AuditHarness): void {
  const codec = StringCodec();
  const { messaging } = h.service.deps;
  const reply: MembershipReply = { found: false, organizationExists: true };
  messaging.nc.subscribe(messaging.subject(RPC_SUBJECTS.getMembership), {
    callback: (_error, message) => message.respond(codec.encode(JSON.stringify(reply))),
  });
}

/** An organization's record by `actorUserId` (a person acting in a session), overridable field by field. */
export function orgDraft(organizationId: string, actorUserId: string, overrides: Partial<RecordDraft> = {}) {
  return {
    log: { organizationId },
    action: 'project.created',
    actor: { type: 'user', id: actorUserId, name: 'Ada Lovelace' },
    target: { type: 'project', id: newId(), name: 'Apollo' },
    ip: '203.0.113.7',
    userAgent: 'vitest',
    requestId: newId(),
    ...overrides,
  } satisfies RecordDraft;
}

/** Appends records one transaction each, in order, as the ingest would. */
export async function seed(h: AuditHarness, drafts: RecordDraft[]): Promise<AuditRecordRow[]> {
  const rows: AuditRecordRow[] = [];
  for (const draft of drafts) {
    rows.push(await h.service.deps.orm.em.fork().transactional((em) => appendRecord(em, draft)));
  }
  return rows;
}

/** Many records at once in one transaction (same chain), for walks over hundreds of them. */
export async function seedMany(h: AuditHarness, drafts: RecordDraft[]): Promise<AuditRecordRow[]> {
  return h.service.deps.orm.em.fork().transactional(async (em) => {
    const rows: AuditRecordRow[] = [];
    for (const draft of drafts) rows.push(await appendRecord(em, draft));
    return rows;
  });
}

/**
 * Rewrites a chain's ids to sort against its order (the newest smallest), as records appended through replicas
 * whose clocks disagree could have them: a log walked by id instead of sequence comes out reversed.
 */
export async function reverseIds(h: AuditHarness, chainKey: string): Promise<void> {
  await sql(
    h,
    "update audit_records set id = '01J' || lpad((10000000 - sequence)::text, 23, '0') where chain_key = ?",
    [chainKey],
  );
}

/** A person the people read model knows, so records of their actions carry their name. */
export async function addPerson(h: AuditHarness, userId: string, name: string): Promise<void> {
  await sql(h, 'insert into people (user_id, email, name) values (?, ?, ?)', [userId, `${userId}@example.test`, name]);
}

/**
 * A long organization log straight in SQL (the export reads, it does not verify), its head row included so
 * what the service appends next (the export's own record) follows it. `targetName` is a SQL expression.
 */
export async function seedBulk(
  h: AuditHarness,
  organizationId: string,
  actorUserId: string,
  rows: number,
  targetName = 'null',
): Promise<void> {
  const chainKey = `org:${organizationId}`;
  await sql(
    h,
    `insert into audit_records (id, chain_key, sequence, organization_id, action, actor_type, actor_id,
       target_type, target_id, target_name, outcome, ip, request_id, occurred_at, previous_hash, hash)
     select '01J' || lpad(n::text, 23, '0'), ?, n, ?, 'project.updated', 'user', ?, 'project', 'p' || n,
       ${targetName}, 'success', '203.0.113.7', 'req-' || n, now(), repeat('0', 64), repeat('a', 64)
     from generate_series(1, ?) n`,
    [chainKey, organizationId, actorUserId, rows],
  );
  await sql(
    h,
    `insert into audit_chains (chain_key, last_sequence, last_hash, anchor_sequence, anchor_hash)
     values (?, ?, repeat('a', 64), 0, repeat('0', 64))`,
    [chainKey, rows],
  );
}

export async function sql<T = Record<string, unknown>>(h: AuditHarness, query: string, params: unknown[] = []) {
  return (await h.service.deps.orm.em.fork().execute(query, params)) as T[];
}

export async function get(h: AuditHarness, as: AuthenticatedPrincipal, url: string) {
  return h.service.app.inject({ method: 'GET', url, headers: await h.service.as(as) });
}

export async function put(h: AuditHarness, as: AuthenticatedPrincipal, url: string, body: unknown) {
  return h.service.app.inject({ method: 'PUT', url, headers: await h.service.as(as), payload: body as object });
}

export const logUrl = (organizationId: string, rest = '') =>
  `/api/user/organizations/${organizationId}/audit-logs${rest}`;
