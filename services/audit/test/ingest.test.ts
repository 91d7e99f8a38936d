import {
  EVENT_SUBJECTS,
  type EventContext,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  newId,
} from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditRecordRow } from '../src/records/entities.js';
import { RECORD_COLUMNS } from '../src/records/entities.js';
import { rowOf } from '../src/records/rows.js';
import { type AuditHarness, startAudit } from './harness.js';

let audit: AuditHarness;
beforeAll(async () => {
  audit = await startAudit();
});
afterAll(() => audit.close());

const S = EVENT_SUBJECTS;
const codec = StringCodec();

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await audit.service.deps.orm.em.fork().execute(sql, params)) as T[];
}

async function recordsOfEvent(eventId: string): Promise<AuditRecordRow[]> {
  const rows = await query<Record<string, unknown>>(
    `select ${RECORD_COLUMNS} from audit_records where event_id = ? order by chain_key, sequence`,
    [eventId],
  );
  return rows.map(rowOf);
}

/** The one record an event made, once the consumer got to it. */
function recordOf(event: EventEnvelope): Promise<AuditRecordRow> {
  return eventually(async () => {
    const rows = await recordsOfEvent(event.id);
    expect(rows).toHaveLength(1);
    return rows[0] as AuditRecordRow;
  });
}

/**
 * Events are consumed in stream order: once a later event's record exists, an earlier event that made none
 * never will.
 */
async function expectNoRecord(event: EventEnvelope): Promise<void> {
  const sentinel = await audit.publish(S.credentialRevoked, { kind: 'session', id: newId(), userId: newId() });
  await recordOf(sentinel);
  expect(await recordsOfEvent(event.id)).toEqual([]);
}

function publish<T extends EventSubject>(type: T, data: EventDataBySubject[T], context?: EventContext) {
  return audit.publish(type, data, context);
}

/** A person the people model knows, so records name them. */
async function person(name: string): Promise<{ userId: string; email: string; name: string }> {
  const data = { userId: newId(), email: `${newId().toLowerCase()}@example.test`, name };
  await recordOf(await publish(S.userRegistered, data));
  return data;
}

function requestContext(actor: EventContext['actor']): Required<Omit<EventContext, 'actor'>> & EventContext {
  return { actor, ip: '203.0.113.7', userAgent: 'vitest/1.0 (ingest)', requestId: `req_${newId()}` };
}

function expectRequest(record: AuditRecordRow, context: EventContext): void {
  expect(record.ip).toBe(context.ip);
  expect(record.userAgent).toBe(context.userAgent);
  expect(record.requestId).toBe(context.requestId);
}

describe('organization events', () => {
  it('records created, updated (before/after of what changed), security and deleted in the organization log', async () => {
    const owner = await person('Olive Owner');
    const context = requestContext({ type: 'user', id: owner.userId });
    const organizationId = newId();
    const data = { organizationId, name: 'Acme', slug: 'acme' };

    const created = await recordOf(await publish(S.organizationCreated, data, context));
    expect(created).toMatchObject({
      organizationId,
      userId: null,
      chainKey: `org:${organizationId}`,
      action: 'organization.created',
      actorType: 'user',
      actorId: owner.userId,
      actorUserId: owner.userId,
      actorName: 'Olive Owner',
      targetType: 'organization',
      targetId: organizationId,
      targetName: 'Acme',
      outcome: 'success',
      changes: null,
    });
    expectRequest(created, context);

    const renamed = await publish(
      S.organizationUpdated,
      { organizationId, name: 'Acme Inc', slug: 'acme', previous: { name: 'Acme', slug: 'acme' } },
      context,
    );
    expect((await recordOf(renamed)).changes).toEqual({ name: { before: 'Acme', after: 'Acme Inc' } });

    // An older producer does not say what it was: the copy the audit service kept does.
    const reslugged = await publish(S.organizationUpdated, { organizationId, name: 'Acme Inc', slug: 'acme-inc' });
    const reslugRecord = await recordOf(reslugged);
    expect(reslugRecord.changes).toEqual({ slug: { before: 'acme', after: 'acme-inc' } });
    expect(reslugRecord).toMatchObject({ actorType: 'system', actorId: 'organization', actorName: null, ip: null });

    const security = await recordOf(
      await publish(S.organizationSecurityUpdated, { organizationId, mfaRequired: true }, context),
    );
    expect(security).toMatchObject({
      action: 'organization.security_updated',
      targetType: 'organization',
      targetName: 'Acme Inc',
      changes: { mfaRequired: { after: true } },
    });
    expectRequest(security, context);

    const deleted = await recordOf(
      await publish(S.organizationDeleted, { organizationId, name: 'Acme Inc', slug: 'acme-inc' }, context),
    );
    expect(deleted).toMatchObject({ action: 'organization.deleted', targetName: 'Acme Inc', sequence: 5 });
    expect(await query('select * from organizations where organization_id = ?', [organizationId])).toEqual([]);
  });
});

describe('member events', () => {
  it('records added, role_changed and removed with the role before and after, the member named', async () => {
    const member = await person('Mia Member');
    const organizationId = newId();
    const directory = requestContext({ type: 'scim', id: newId() });
    const base = { organizationId, userId: member.userId };

    const added = await recordOf(await publish(S.memberAdded, { ...base, role: 'member' }, directory));
    expect(added).toMatchObject({
      organizationId,
      action: 'member.added',
      actorType: 'scim',
      actorId: directory.actor?.id,
      actorUserId: null,
      actorName: null,
      targetType: 'member',
      targetId: member.userId,
      targetName: 'Mia Member',
      changes: { role: { after: 'member' } },
    });
    expectRequest(added, directory);

    const changed = await recordOf(
      await publish(S.memberRoleChanged, { ...base, role: 'admin', previousRole: 'member' }, directory),
    );
    expect(changed).toMatchObject({
      action: 'member.role_changed',
      changes: { role: { before: 'member', after: 'admin' } },
    });
    const removed = await recordOf(await publish(S.memberRemoved, { ...base, role: 'admin' }, directory));
    expect(removed).toMatchObject({ action: 'member.removed', changes: { role: { before: 'admin' } } });
    expect([added.sequence, changed.sequence, removed.sequence]).toEqual([1, 2, 3]);
  });

  it('makes no record of a directory push itself (the member events that follow are its record)', async () => {
    const push = await publish(S.directoryMembershipsChanged, {
      directoryId: newId(),
      organizationId: newId(),
      changes: [{ userId: newId(), role: 'member', email: 'd@example.test', name: 'D' }],
    });
    await expectNoRecord(push);
  });
});

describe('credential events', () => {
  it('records session, API key and OAuth grant revocations in the account log, not SCIM tokens', async () => {
    const holder = await person('Kim Keys');
    const viaKey = requestContext({ type: 'api_key', id: `ak_${newId()}`, userId: holder.userId });
    const cases = [
      { kind: 'session', action: 'session.revoked', target: 'session' },
      { kind: 'api_key', action: 'api_key.revoked', target: 'api_key' },
      { kind: 'oauth', action: 'oauth_grant.revoked', target: 'oauth_grant' },
    ] as const;
    for (const { kind, action, target } of cases) {
      const id = newId();
      const record = await recordOf(await publish(S.credentialRevoked, { kind, id, userId: holder.userId }, viaKey));
      expect(record).toMatchObject({
        userId: holder.userId,
        organizationId: null,
        chainKey: `user:${holder.userId}`,
        action,
        actorType: 'api_key',
        actorId: viaKey.actor?.id,
        actorUserId: holder.userId,
        actorName: 'Kim Keys',
        targetType: target,
        targetId: id,
        targetName: null,
      });
      expectRequest(record, viaKey);
    }
    await expectNoRecord(await publish(S.credentialRevoked, { kind: 'scim', id: newId(), userId: holder.userId }));
  });
});

describe('user events', () => {
  it('records registration, what an update changed, MFA changes and deletion; forgets the person after', async () => {
    const userId = newId();
    const self = requestContext({ type: 'user', id: userId });
    const registered = await recordOf(
      await publish(S.userRegistered, { userId, email: 'uma@example.test', name: 'Uma' }, self),
    );
    expect(registered).toMatchObject({
      userId,
      action: 'user.registered',
      actorType: 'user',
      actorId: userId,
      actorName: 'Uma',
      targetType: 'user',
      targetId: userId,
      targetName: 'Uma',
    });
    expectRequest(registered, self);

    const updated = await recordOf(
      await publish(S.userUpdated, { userId, email: 'uma@example.test', name: 'Uma U', handle: 'uma' }, self),
    );
    expect(updated).toMatchObject({
      action: 'user.updated',
      actorName: 'Uma U',
      targetName: 'Uma U',
      changes: { name: { before: 'Uma', after: 'Uma U' } },
    });
    const verified = await recordOf(
      await publish(S.userUpdated, { userId, email: 'uma@example.test', name: 'Uma U', handle: 'uma2' }),
    );
    expect(verified).toMatchObject({ changes: null, actorType: 'system', actorId: 'identity' });

    const mfa = await recordOf(
      await publish(
        S.userSecurityChanged,
        { userId, mfaEnabled: true, factors: ['totp'], change: 'totp_enabled' },
        self,
      ),
    );
    expect(mfa).toMatchObject({
      action: 'mfa.changed',
      targetType: 'user',
      targetId: userId,
      changes: { change: { after: 'totp_enabled' }, mfaEnabled: { after: true }, factors: { after: ['totp'] } },
    });
    expectRequest(mfa, self);

    const deleted = await recordOf(await publish(S.userDeleted, { userId }, self));
    expect(deleted).toMatchObject({ action: 'user.deleted', actorName: 'Uma U', targetName: 'Uma U', sequence: 5 });
    expect(await query('select * from people where user_id = ?', [userId])).toEqual([]);
  });
});

describe('activity events', () => {
  const activity = (action: string, log: { organizationId?: string; userId?: string }) => ({
    action,
    organizationId: log.organizationId ?? null,
    userId: log.userId ?? null,
    target: { type: 'thing', id: newId(), name: 'The thing' },
    outcome: 'success' as const,
  });

  it('records each producer’s own actions as given, in the organization log or else the account log', async () => {
    const actor = await person('Ada Actor');
    const organizationId = newId();
    const context = requestContext({ type: 'oauth_app', id: 'client_abc', userId: actor.userId });
    const cases = [
      { subject: S.identityActivity, action: 'sso_connection.updated', log: { organizationId } },
      { subject: S.organizationActivity, action: 'invitation.created', log: { organizationId } },
      { subject: S.projectActivity, action: 'project.deleted', log: { organizationId } },
      { subject: S.gatewayActivity, action: 'rate_limit.exceeded', log: { userId: actor.userId } },
    ] as const;
    for (const { subject, action, log } of cases) {
      const data = {
        ...activity(action, log),
        changes: { name: { before: 'a', after: 'b' } },
        outcome: 'failure' as const,
        reason: 'because',
      };
      const record = await recordOf(await publish(subject, data, context));
      expect(record).toMatchObject({
        organizationId: data.organizationId,
        userId: data.organizationId ? null : data.userId,
        action,
        actorType: 'oauth_app',
        actorId: 'client_abc',
        actorUserId: actor.userId,
        actorName: 'Ada Actor',
        targetType: 'thing',
        targetId: data.target.id,
        targetName: 'The thing',
        changes: data.changes,
        outcome: 'failure',
        reason: 'because',
      });
      expectRequest(record, context);
    }
  });

  it('takes the actor an anonymous request’s event names (a failed sign-in)', async () => {
    const who = await person('Sam Signin');
    const anonymous = { ip: '198.51.100.4', userAgent: 'curl/8', requestId: `req_${newId()}` };
    const data = {
      ...activity('sign_in.failed', { userId: who.userId }),
      actor: { type: 'user' as const, id: who.userId },
      outcome: 'failure' as const,
      reason: 'invalid_password',
    };
    const record = await recordOf(await publish(S.identityActivity, data, anonymous));
    expect(record).toMatchObject({
      chainKey: `user:${who.userId}`,
      actorType: 'user',
      actorId: who.userId,
      actorName: 'Sam Signin',
      outcome: 'failure',
      reason: 'invalid_password',
    });
    expectRequest(record, anonymous);
  });

  it('refuses an action another subject is the source of, an unknown action, and one with no log', async () => {
    const warn = vi.spyOn(audit.service.deps.logger, 'warn');
    const organizationId = newId();
    const forged = [
      await publish(S.identityActivity, activity('project.deleted', { organizationId })),
      await publish(S.gatewayActivity, activity('session.created', { userId: newId() })),
      await publish(S.organizationActivity, activity('member.added', { organizationId })),
      await publish(S.projectActivity, activity('webhook.created', { organizationId })),
      await publish(S.projectActivity, activity('project.exploded', { organizationId })),
      await publish(S.projectActivity, activity('project.created', {})),
    ];
    for (const event of forged) await expectNoRecord(event);
    const refusals = warn.mock.calls.filter(([, message]) => String(message).includes('not the source'));
    expect(refusals).toHaveLength(5);
    expect(refusals[0]?.[0]).toMatchObject({ type: S.identityActivity, action: 'project.deleted' });
    warn.mockRestore();
  });
});

describe('exactly once', () => {
  it('makes one record of an event delivered twice, under two message ids', async () => {
    const event = await publish(S.credentialRevoked, { kind: 'session', id: newId(), userId: newId() });
    const { messaging } = audit.service.deps;
    // Past JetStream's duplicate window: a second message carrying the same envelope.
    await messaging.js.publish(messaging.subject(event.type), codec.encode(JSON.stringify(event)), {
      msgID: newId(),
    });
    await recordOf(event);
    await expectNoRecord({ ...event, id: newId() });
    expect(await recordsOfEvent(event.id)).toHaveLength(1);
  });

  it('makes one record when JetStream sees the same message id twice', async () => {
    const event = await publish(S.credentialRevoked, { kind: 'session', id: newId(), userId: newId() });
    const { messaging } = audit.service.deps;
    await messaging.js.publish(messaging.subject(event.type), codec.encode(JSON.stringify(event)), {
      msgID: event.id,
    });
    await recordOf(event);
    await expectNoRecord({ ...event, id: newId() });
    expect(await recordsOfEvent(event.id)).toHaveLength(1);
  });
});

describe('webhook deliveries', () => {
  it('queues an organization record for the organization’s subscribed endpoints, with the record', async () => {
    const organizationId = newId();
    const webhookId = newId();
    await query(
      `insert into webhooks (id, organization_id, url, events, description, enabled, secret_sealed, secret_start,
         created_at, updated_at)
       values (?, ?, 'https://receiver.example.test/hook', '["member.*"]'::jsonb, null, true, 'sealed', 'whsec_x', now(), now())`,
      [webhookId, organizationId],
    );
    const member = { organizationId, userId: newId() };
    const added = await recordOf(await publish(S.memberAdded, { ...member, role: 'member' }));
    const updated = await recordOf(
      await publish(S.organizationUpdated, {
        organizationId,
        name: 'N',
        slug: 'n',
        previous: { name: 'O', slug: 'n' },
      }),
    );
    const queued = await query<{ record_id: string; event_type: string }>(
      'select record_id, event_type from webhook_deliveries where webhook_id = ? order by id',
      [webhookId],
    );
    expect(queued).toEqual([{ record_id: added.id, event_type: 'member.added' }]);
    expect(updated.action).toBe('organization.updated');
  });
});
