import { newId } from '@gatehouse/contracts';
import { Keyring, MailRelay } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditContext } from '../src/context.js';
import { claimDueHeads } from '../src/deliveries/claims.js';
import { DeliveryWorker } from '../src/deliveries/worker.js';
import { recordedUrl } from '../src/endpoints/redact.js';
import { auditMemberships } from '../src/memberships/service.js';
import {
  deliveriesOf,
  insertWebhook,
  queueDeliveries,
  sleep,
  sqlOf,
  TestReceiver,
  verify,
} from './deliveries-support.js';
import { type AuditHarness, startAudit } from './harness.js';

/** Another replica's worker on the same database (its mail relay is never started: nothing to send here). */
function secondReplica(audit: AuditHarness): DeliveryWorker {
  const { deps } = audit.service;
  const ctx: AuditContext = {
    deps,
    config: deps.config,
    mail: new MailRelay(deps.orm.em, { send: async () => {}, close: () => {} }, deps.logger),
    secrets: Keyring.parse(deps.config.WEBHOOK_ENCRYPTION_KEY, 'WEBHOOK_ENCRYPTION_KEY'),
    memberships: auditMemberships(deps, async () => {}),
    kickDeliveries: () => {},
  };
  return new DeliveryWorker(ctx);
}

const settled = async (audit: AuditHarness, webhookId: string) =>
  eventually(async () => {
    const rows = await deliveriesOf(audit, webhookId);
    expect(rows.every((row) => row.status !== 'pending')).toBe(true);
    return rows;
  }, 15_000);

describe('webhook delivery worker', () => {
  let audit: AuditHarness;
  const receiver = new TestReceiver();

  beforeAll(async () => {
    // A test config gets no schema defaults, and auditTestConfig does not list this setting yet.
    audit = await startAudit({ WEBHOOK_ORGANIZATION_CONCURRENCY: 2 });
    await receiver.start();
    receiver.respond = (request, response) => {
      // `/hooks/flaky-<n>` answers 500 to the first n requests made to it.
      const flaky = /\/flaky-(\d+)$/.exec(request.path);
      const seen = receiver.requests.filter((other) => other.path === request.path).length;
      if (flaky && seen <= Number(flaky[1])) {
        response.writeHead(500).end('receiver is down for maintenance');
        return;
      }
      response.writeHead(204).end();
    };
  });
  afterAll(async () => {
    await audit.close();
    await receiver.stop();
  });

  it('sends a message with valid Standard Webhooks headers and records the attempt', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/one'));
    const [messageId] = await queueDeliveries(audit, webhook.id, 1);
    const [delivery] = await settled(audit, webhook.id);

    const [request] = receiver.requests.filter((other) => other.path === '/hooks/one');
    expect(request).toBeDefined();
    expect(verify(webhook.secret, request!)).toMatchObject({ type: 'member.added', data: { seq: 1 } });
    expect(request!.headers['webhook-id']).toBe(messageId);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe('Gatehouse-Webhooks/1.0');
    expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // The bytes signed are the bytes of the payload as stored.
    expect(request!.body).toBe(JSON.stringify(delivery!.payload));

    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, nextAttemptAt: null });
    expect(delivery!.completedAt).toBeInstanceOf(Date);
    expect(delivery!.attemptLog).toEqual([
      expect.objectContaining({ statusCode: 204, error: null, responseExcerpt: null, latencyMs: expect.any(Number) }),
    ]);
  });

  it('delivers five messages in the order they were queued', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/five'));
    await queueDeliveries(audit, webhook.id, 5);
    await settled(audit, webhook.id);
    expect(receiver.sequenceAt('/hooks/five')).toEqual([1, 2, 3, 4, 5]);
    const metrics = await audit.service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/webhook_deliveries_total\{outcome="succeeded",service="audit"\} \d+/);
  });

  it('keeps the order messages were queued in (position), not the order of their ids (replica clocks)', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/clocks'));
    // A replica whose clock runs ahead queues the first message: its id sorts after the second one's.
    const [aheadId, behindId] = [`01Z${newId().slice(3)}`, `01A${newId().slice(3)}`];
    // Both in one transaction, so no pass of the worker sees the first without the second.
    await audit.service.deps.orm.em.fork().transactional(async (em) => {
      for (const [seq, id] of [
        [1, aheadId],
        [2, behindId],
      ] as const) {
        const payload = { type: 'member.added', timestamp: new Date().toISOString(), data: { seq } };
        await em.execute(
          `insert into webhook_deliveries (id, webhook_id, message_id, event_type, record_id, payload, status,
             attempts, next_attempt_at, attempt_log, created_at)
           values (?, ?, ?, 'member.added', null, ?::jsonb, 'pending', 0, now(), '[]'::jsonb, now())`,
          [id, webhook.id, `msg_${id}`, JSON.stringify(payload)],
        );
      }
    });
    await settled(audit, webhook.id);
    expect(receiver.sequenceAt('/hooks/clocks')).toEqual([1, 2]);
  });

  it('retries a message the receiver refuses, holding the later ones back until it is through', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/flaky-3'));
    await queueDeliveries(audit, webhook.id, 3);
    const [first, second, third] = await settled(audit, webhook.id);

    expect(receiver.sequenceAt('/hooks/flaky-3')).toEqual([1, 1, 1, 1, 2, 3]);
    expect(first).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(first!.attemptLog.map((attempt) => attempt.statusCode)).toEqual([204, 500, 500, 500]);
    expect(first!.attemptLog[1]).toMatchObject({
      error: 'answered 500',
      responseExcerpt: 'receiver is down for maintenance',
    });
    expect([second!.attempts, third!.attempts]).toEqual([1, 1]);
  });

  it('signs with both secrets during a rotation, and each verifies on its own', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/rotated'), { previousSecret: true });
    await queueDeliveries(audit, webhook.id, 1);
    await settled(audit, webhook.id);
    const [request] = receiver.requests.filter((other) => other.path === '/hooks/rotated');
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(webhook.secret, request!)).toBeTruthy();
    expect(verify(webhook.previousSecret!, request!)).toBeTruthy();
    expect(() => verify('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', request!)).toThrow();
  });

  it('sends nothing to a disabled endpoint, while an enabled one queued after it is delivered to', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/disabled'), { enabled: false });
    const control = await insertWebhook(audit, receiver.url('/hooks/disabled-control'));
    await queueDeliveries(audit, webhook.id, 2);
    await queueDeliveries(audit, control.id, 1);
    // Every pass that found the control's message saw the disabled endpoint's too.
    await settled(audit, control.id);
    await sleep(500);
    expect(receiver.sequenceAt('/hooks/disabled-control')).toEqual([1]);
    expect(receiver.requests.filter((other) => other.path === '/hooks/disabled')).toHaveLength(0);
    const rows = await deliveriesOf(audit, webhook.id);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
  });

  it('fails a message once the schedule is spent: endpoint disabled, owners mailed, journaled', async () => {
    const organizationId = newId();
    const ownerId = newId();
    const sql = sqlOf(audit);
    await sql("insert into people (user_id, email, name) values (?, 'olive@example.test', 'Olive')", [ownerId]);
    await sql("insert into memberships (organization_id, user_id, role) values (?, ?, 'owner')", [
      organizationId,
      ownerId,
    ]);
    await sql("insert into memberships (organization_id, user_id, role) values (?, ?, 'member')", [
      organizationId,
      newId(),
    ]);
    const webhook = await insertWebhook(audit, receiver.url('/hooks/flaky-99'), { organizationId });
    await queueDeliveries(audit, webhook.id, 2);

    const [failed, waiting] = await eventually(async () => {
      const rows = await deliveriesOf(audit, webhook.id);
      expect(rows[0]?.status).toBe('failed');
      return rows;
    }, 15_000);
    // The schedule has three delays: four attempts in all.
    expect(failed).toMatchObject({ attempts: 4, nextAttemptAt: null });
    expect(failed!.attemptLog).toHaveLength(4);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(receiver.sequenceAt('/hooks/flaky-99')).toEqual([1, 1, 1, 1]);

    const [endpoint] = await sql('select enabled, disabled_reason from webhooks where id = ?', [webhook.id]);
    expect(endpoint).toEqual({ enabled: false, disabled_reason: 'deliveries_failing' });

    const mail = await eventually(async () => {
      const found = audit.smtp.latestTo('olive@example.test');
      expect(found).toBeDefined();
      return found!;
    });
    const text = mail.raw.replace(/=\r?\n/g, '');
    expect(text).toContain('A webhook endpoint was disabled');
    // Named by its id and the URL as records show it (a receiver's credential may be in its path).
    expect(text).toContain(webhook.id);
    expect(text).toContain(new URL(receiver.url('/hooks/flaky-99')).origin);
    expect(text).not.toContain('flaky-99');
    expect(text).toContain(`http://localhost:8080/api/user/organizations/${organizationId}/webhooks/${webhook.id}`);
    expect(audit.smtp.received.filter((received) => received.to.includes('olive@example.test'))).toHaveLength(1);

    const records = await sql(
      'select action, actor_type, actor_id, target_type, target_id, target_name from audit_records where organization_id = ?',
      [organizationId],
    );
    expect(records).toEqual([
      {
        action: 'webhook.disabled',
        actor_type: 'system',
        actor_id: 'webhooks',
        target_type: 'webhook',
        target_id: webhook.id,
        target_name: recordedUrl(receiver.url('/hooks/flaky-99')),
      },
    ]);
    await sleep(1500);
    expect(receiver.sequenceAt('/hooks/flaky-99')).toEqual([1, 1, 1, 1]);
  });

  it('sends a message again once the claim of a replica that died has run out', async () => {
    const webhook = await insertWebhook(audit, receiver.url('/hooks/orphaned'));
    // A replica claims the head of line and dies before sending: nobody records anything. Queued in the
    // claim's own transaction, so the service's running worker never sees it unclaimed.
    const claimedAt = Date.now();
    const claimed = await audit.service.deps.orm.em.fork().transactional(async (em) => {
      await queueDeliveries(audit, webhook.id, 1, 'member.added', (query, params) => em.execute(query, params));
      return claimDueHeads(em, { limit: 100, leaseMs: 1500, perOrganization: 100, inFlight: new Map() });
    });
    expect(claimed.map((claim) => claim.webhook.id)).toContain(webhook.id);
    await sleep(1000);
    expect(receiver.requests.filter((other) => other.path === '/hooks/orphaned')).toHaveLength(0);

    const [delivery] = await settled(audit, webhook.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(Date.parse(delivery!.attemptLog[0]!.attemptedAt) - claimedAt).toBeGreaterThanOrEqual(1400);
  });

  it('never sends one attempt twice at once when replicas share the database', async () => {
    const replicas = [secondReplica(audit), secondReplica(audit)];
    const inFlight = new Map<string, number>();
    let overlapped = 0;
    const previous = receiver.respond;
    receiver.respond = async (request, response) => {
      if (!request.path.startsWith('/hooks/shared-')) return previous(request, response);
      const now = (inFlight.get(request.path) ?? 0) + 1;
      inFlight.set(request.path, now);
      if (now > 1) overlapped += 1;
      await sleep(20);
      inFlight.set(request.path, now - 1);
      response.writeHead(204).end();
    };
    const webhooks = await Promise.all([1, 2, 3].map((n) => insertWebhook(audit, receiver.url(`/hooks/shared-${n}`))));
    for (const webhook of webhooks) await queueDeliveries(audit, webhook.id, 8);
    for (const replica of replicas) replica.start();
    // Every replica asks for work all the time, so they contend for the same heads of line.
    const contend = setInterval(() => {
      for (const replica of replicas) replica.kick();
    }, 5);
    try {
      for (const webhook of webhooks) await settled(audit, webhook.id);
    } finally {
      clearInterval(contend);
      for (const replica of replicas) await replica.stop();
      receiver.respond = previous;
    }
    for (const n of [1, 2, 3]) {
      expect(receiver.sequenceAt(`/hooks/shared-${n}`)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
    expect(overlapped).toBe(0);
    for (const webhook of webhooks) {
      const rows = await deliveriesOf(audit, webhook.id);
      expect(rows.every((row) => row.attempts === 1)).toBe(true);
    }
  });
});
