import { newId } from '@gatehouse/contracts';
import { Keyring } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueMessages, queueRecordDeliveries } from '../src/endpoints/queue.js';
import { sealSecret } from '../src/endpoints/secrets.js';
import type { AuditRecordRow } from '../src/records/entities.js';
import { presentRecord } from '../src/records/present.js';
import { insertWebhook } from '../src/webhooks/store.js';
import { type AuditHarness, startAudit } from './harness.js';
import { type SqlRows, sqlOf, startReceiver } from './webhooks-support.js';

let audit: AuditHarness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let sql: (query: string, params?: unknown[]) => Promise<SqlRows>;

beforeAll(async () => {
  audit = await startAudit();
  receiver = await startReceiver();
  sql = sqlOf(audit);
});
afterAll(async () => {
  await audit.close();
  await receiver.close();
});

async function endpoint(organizationId: string, events: string[], enabled = true): Promise<string> {
  const id = newId();
  const keys = Keyring.parse(audit.service.deps.config.WEBHOOK_ENCRYPTION_KEY, 'WEBHOOK_ENCRYPTION_KEY');
  const now = new Date();
  await insertWebhook(audit.service.deps.orm.em.fork(), {
    id,
    organizationId,
    url: receiver.url,
    events,
    description: null,
    enabled,
    disabledReason: enabled ? null : 'deliveries_failing',
    secretSealed: sealSecret(keys, id, 'whsec_dGVzdA=='),
    secretStart: 'whsec_dGVzdA',
    previousSecretSealed: null,
    previousSecretExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

function record(organizationId: string, action: string): AuditRecordRow {
  return {
    id: newId(),
    chainKey: `org:${organizationId}`,
    sequence: 1,
    organizationId,
    userId: null,
    action,
    actorType: 'user',
    actorId: newId(),
    actorUserId: null,
    actorName: 'Ada',
    targetType: 'member',
    targetId: newId(),
    targetName: null,
    changes: { role: { before: 'member', after: 'admin' } },
    outcome: 'success',
    reason: null,
    ip: '203.0.113.7',
    userAgent: 'test',
    requestId: 'req-1',
    occurredAt: new Date('2026-12-05T10:00:00.000Z'),
    eventId: null,
    previousHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  };
}

const queue = (row: AuditRecordRow) =>
  audit.service.deps.orm.em.fork().transactional((em) => queueRecordDeliveries(em, row));

describe('queueRecordDeliveries', () => {
  it('queues a record for the enabled endpoints subscribed to its action, one message id for all', async () => {
    const organizationId = newId();
    const everything = await endpoint(organizationId, ['*']);
    const family = await endpoint(organizationId, ['member.*']);
    const exact = await endpoint(organizationId, ['member.role_changed']);
    await endpoint(organizationId, ['member.added', 'project.*']);
    await endpoint(organizationId, ['*'], false);
    await endpoint(newId(), ['*']);

    const row = record(organizationId, 'member.role_changed');
    expect(await queue(row)).toBe(3);

    const deliveries = await sql('select * from webhook_deliveries where record_id = ? order by id', [row.id]);
    expect(deliveries.map((delivery) => delivery.webhook_id).sort()).toEqual([everything, family, exact].sort());
    for (const delivery of deliveries) {
      // Status and attempts are the delivery worker's from here on; what was queued is fixed.
      expect(delivery).toMatchObject({ message_id: `msg_${row.id}`, event_type: 'member.role_changed' });
      expect(delivery.payload).toEqual({
        type: 'member.role_changed',
        timestamp: '2026-12-05T10:00:00.000Z',
        data: JSON.parse(JSON.stringify(presentRecord(row))),
      });
    }
  });

  it('queues nothing when no enabled endpoint subscribes', async () => {
    const organizationId = newId();
    await endpoint(organizationId, ['project.*']);
    await endpoint(organizationId, ['member.*'], false);
    const row = record(organizationId, 'member.added');
    expect(await queue(row)).toBe(0);
    expect(await sql('select id from webhook_deliveries where record_id = ?', [row.id])).toEqual([]);
  });
});

describe('queueMessages', () => {
  it('queues in the order given by position, and answers the deliveries in that order', async () => {
    const organizationId = newId();
    const webhookId = await endpoint(organizationId, ['project.*']);
    // Message ids out of id order: the queue follows the order given, never the ids.
    const messageIds = ['msg_c', 'msg_a', 'msg_b'].map((id) => `${id}_${newId()}`);
    const queued = await audit.service.deps.orm.em.fork().transactional((em) =>
      queueMessages(
        em,
        messageIds.map((messageId) => ({
          webhookId,
          messageId,
          eventType: 'webhook.test',
          recordId: null,
          payload: { type: 'webhook.test', timestamp: new Date().toISOString(), data: {} },
        })),
      ),
    );
    expect(queued.map((delivery) => delivery.messageId)).toEqual(messageIds);
    const rows = await sql(
      'select message_id, position from webhook_deliveries where webhook_id = ? order by position',
      [webhookId],
    );
    expect(rows.map((row) => row.message_id)).toEqual(messageIds);
  });
});
