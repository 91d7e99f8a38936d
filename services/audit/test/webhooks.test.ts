import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthenticatedPrincipal, newId } from '@gatehouse/contracts';
import { Keyring } from '@gatehouse/service-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookOf } from '../src/endpoints/entities.js';
import { PREVIOUS_SECRET_OVERLAP_MS, signingSecretsOf } from '../src/endpoints/secrets.js';
import { type AuditHarness, startAudit } from './harness.js';
import { caller, memberOf, type SqlRows, sqlOf, startReceiver } from './webhooks-support.js';

/** …/webhooks through the audit app as the gateway forwards it: signed principals, memberships written directly. */
let audit: AuditHarness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let sql: (query: string, params?: unknown[]) => Promise<SqlRows>;
let call: ReturnType<typeof caller>;
let organizationId: string;
let owner: AuthenticatedPrincipal;

const hooks = () => `/api/user/organizations/${organizationId}/webhooks`;

/**
 * A receiver on loopback that never answers: the delivery worker's head-of-line request waits for its timeout,
 * so what was queued behind it stays pending while a test looks.
 */
async function startSilentReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/silent`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Created {
  webhook: { id: string; url: string; events: string[]; secretStart: string; enabled: boolean };
  secret: string;
}

async function create(body: Record<string, unknown> = {}, as = owner): Promise<Created> {
  const res = await call(as, 'POST', hooks(), { url: receiver.url, events: ['member.*'], ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

const storedWebhook = async (id: string) => webhookOf((await sql('select * from webhooks where id = ?', [id]))[0]);
const webhookRecords = (orgId = organizationId) =>
  sql("select * from audit_records where organization_id = ? and action like 'webhook.%' order by sequence", [orgId]);

beforeAll(async () => {
  audit = await startAudit();
  receiver = await startReceiver();
  sql = sqlOf(audit);
  call = caller(audit);
});
afterAll(async () => {
  await audit.close();
  await receiver.close();
});
beforeEach(async () => {
  organizationId = newId();
  owner = await memberOf(audit, organizationId, 'owner');
});

describe('webhook endpoints', () => {
  it('creates, lists, reads, updates and deletes an endpoint, answering the secret once', async () => {
    const created = await create({ events: ['member.*', 'project.created', 'member.*'], description: ' CRM sync ' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.webhook).toMatchObject({
      url: receiver.url,
      events: ['member.*', 'project.created'],
      description: 'CRM sync',
      enabled: true,
      disabledReason: null,
      secretStart: created.secret.slice(0, 12),
      previousSecretExpiresAt: null,
      organizationId,
    });

    const got = await call(owner, 'GET', `${hooks()}/${created.webhook.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json().data).toEqual(created.webhook);
    const listed = await call(owner, 'GET', hooks());
    expect(listed.json().data).toEqual([created.webhook]);
    expect(listed.json().meta).toMatchObject({ hasMore: false, nextCursor: null, total: 1 });
    for (const body of [got.body, listed.body]) {
      expect(body).not.toContain(created.secret);
      expect(body).not.toContain('v2.');
    }

    const updated = await call(owner, 'PUT', `${hooks()}/${created.webhook.id}`, {
      url: `${receiver.url}/v2`,
      events: ['*'],
      description: null,
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json().data).toMatchObject({ url: `${receiver.url}/v2`, events: ['*'], description: null });

    const deleted = await call(owner, 'DELETE', `${hooks()}/${created.webhook.id}`);
    expect(deleted.statusCode).toBe(200);
    expect((await call(owner, 'GET', `${hooks()}/${created.webhook.id}`)).statusCode).toBe(404);
  });

  it('lists oldest first by cursor', async () => {
    const ids = [];
    for (let index = 0; index < 3; index++) ids.push((await create()).webhook.id);
    const first = await call(owner, 'GET', `${hooks()}?limit=2`);
    expect(first.json().data.map((webhook: { id: string }) => webhook.id)).toEqual(ids.slice(0, 2));
    expect(first.json().meta).toMatchObject({ hasMore: true, total: 3 });
    const second = await call(owner, 'GET', `${hooks()}?limit=2&cursor=${first.json().meta.nextCursor}`);
    expect(second.json().data.map((webhook: { id: string }) => webhook.id)).toEqual(ids.slice(2));
    expect(second.json().meta.hasMore).toBe(false);
  });

  it('refuses unknown events naming each, and accepts families and every action', async () => {
    const res = await call(owner, 'POST', hooks(), {
      url: receiver.url,
      events: ['member.added', 'member.exploded', 'nothing.*', 'user.registered'],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_ERROR');
    const fields = res.json().meta.errors.map((error: { field: string }) => error.field);
    // user.registered belongs to an account's log: endpoints never receive it.
    expect(fields).toEqual(['events/1', 'events/2', 'events/3']);
    expect((await create({ events: ['*', 'webhook.*', 'sso_domain.verified'] })).webhook.events).toEqual([
      '*',
      'webhook.*',
      'sso_domain.verified',
    ]);
  });

  it('refuses a URL with credentials or a fragment even when private addresses are allowed', async () => {
    const bad = ['http://user:pass@127.0.0.1/hooks', 'http://127.0.0.1/hooks#top', 'ftp://example.com/', 'not a url'];
    for (const url of bad) {
      const res = await call(owner, 'POST', hooks(), { url, events: ['member.*'] });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().meta.errors[0].field).toBe('url');
    }
  });

  it('allows at most 20 endpoints per organization', async () => {
    for (let index = 0; index < 20; index++) await create();
    const res = await call(owner, 'POST', hooks(), { url: receiver.url, events: ['member.*'] });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('CONFLICT');
  });

  it('is for owners only, and hides another organization’s endpoints', async () => {
    const created = await create();
    for (const role of ['admin', 'member'] as const) {
      const someone = await memberOf(audit, organizationId, role);
      expect((await call(someone, 'GET', hooks())).statusCode).toBe(403);
      expect((await call(someone, 'POST', hooks(), { url: receiver.url, events: ['*'] })).statusCode).toBe(403);
    }
    const otherOrganization = newId();
    const otherOwner = await memberOf(audit, otherOrganization, 'owner');
    const elsewhere = `/api/user/organizations/${otherOrganization}/webhooks/${created.webhook.id}`;
    for (const [method, path] of [
      ['GET', elsewhere],
      ['PUT', elsewhere],
      ['DELETE', elsewhere],
      ['POST', `${elsewhere}/rotate-secret`],
      ['POST', `${elsewhere}/test`],
      ['GET', `${elsewhere}/deliveries`],
    ] as const) {
      const res = await call(otherOwner, method, path, method === 'PUT' ? { enabled: false } : undefined);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
    }
    expect((await storedWebhook(created.webhook.id)).enabled).toBe(true);
  });
});

describe('signing secrets', () => {
  it('rotates: the previous secret signs for 24 hours; a second rotation keeps the one before it', async () => {
    const created = await create();
    const keys = Keyring.parse(audit.service.deps.config.WEBHOOK_ENCRYPTION_KEY, 'WEBHOOK_ENCRYPTION_KEY');
    const before = Date.now();
    const first = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/rotate-secret`);
    expect(first.statusCode, first.body).toBe(200);
    const rotated = first.json().data as Created;
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.webhook.secretStart).toBe(rotated.secret.slice(0, 12));
    const expires = Date.parse(first.json().data.webhook.previousSecretExpiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + PREVIOUS_SECRET_OVERLAP_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + PREVIOUS_SECRET_OVERLAP_MS);

    const row = await storedWebhook(created.webhook.id);
    expect(signingSecretsOf(keys, row)).toEqual([rotated.secret, created.secret]);
    expect(signingSecretsOf(keys, row, new Date(expires + 1))).toEqual([rotated.secret]);

    const again = (await call(owner, 'POST', `${hooks()}/${created.webhook.id}/rotate-secret`)).json().data as Created;
    expect(signingSecretsOf(keys, await storedWebhook(created.webhook.id))).toEqual([again.secret, rotated.secret]);

    const read = await call(owner, 'GET', `${hooks()}/${created.webhook.id}`);
    for (const secret of [created.secret, rotated.secret, again.secret]) expect(read.body).not.toContain(secret);
  });
});

describe('enabling and test messages', () => {
  it('queues a webhook.test message to this endpoint only, and refuses it while the endpoint is disabled', async () => {
    const created = await create({ events: ['project.created'] });
    const other = await create({ events: ['*'] });
    const res = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/test`);
    expect(res.statusCode, res.body).toBe(202);
    const delivery = res.json().data;
    expect(delivery).toMatchObject({ webhookId: created.webhook.id, eventType: 'webhook.test', recordId: null });
    expect(delivery.messageId).toMatch(/^msg_/);
    const [row] = await sql('select * from webhook_deliveries where id = ?', [delivery.id]);
    expect(row.payload).toEqual({
      type: 'webhook.test',
      timestamp: expect.any(String),
      data: { webhookId: created.webhook.id, organizationId },
    });
    const tests = await sql("select * from webhook_deliveries where event_type = 'webhook.test' and webhook_id = ?", [
      other.webhook.id,
    ]);
    expect(tests).toEqual([]);

    const paused = await call(owner, 'PUT', `${hooks()}/${created.webhook.id}`, { enabled: false });
    expect(paused.json().data.enabled).toBe(false);
    const refused = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/test`);
    expect(refused.statusCode).toBe(409);
  });

  it('enabling an endpoint the worker disabled clears the reason', async () => {
    const created = await create();
    await sql("update webhooks set enabled = false, disabled_reason = 'deliveries_failing' where id = ?", [
      created.webhook.id,
    ]);
    const res = await call(owner, 'PUT', `${hooks()}/${created.webhook.id}`, { enabled: true });
    expect(res.json().data).toMatchObject({ enabled: true, disabledReason: null });
    const [record] = (await webhookRecords()).filter((row) => row.action === 'webhook.updated');
    expect(record.changes).toEqual({ enabled: { before: false, after: true } });
  });
});

describe('delivery log and redelivery', () => {
  /**
   * A message the worker is done with (or, `pending`, one it will try again in an hour), written directly so
   * no test depends on the delivery worker's timing.
   */
  async function delivered(webhookId: string, status: 'succeeded' | 'pending' = 'succeeded') {
    const id = newId();
    const messageId = `msg_${newId()}`;
    const attempt = {
      attemptedAt: new Date().toISOString(),
      statusCode: 204,
      latencyMs: 3,
      responseExcerpt: '',
      error: null,
    };
    const earlier = { ...attempt, attemptedAt: new Date(Date.now() - 60_000).toISOString(), statusCode: 500 };
    const log = status === 'succeeded' ? [earlier, attempt] : [];
    const payload = { type: 'webhook.test', timestamp: new Date().toISOString(), data: { webhookId, organizationId } };
    await sql(
      `insert into webhook_deliveries (id, webhook_id, message_id, event_type, payload, status, attempts,
         next_attempt_at, attempt_log, created_at, completed_at)
       values (?, ?, ?, 'webhook.test', ?::jsonb, ?, ?, ?, ?::jsonb, now(), ?)`,
      [
        id,
        webhookId,
        messageId,
        JSON.stringify(payload),
        status,
        log.length,
        status === 'pending' ? new Date(Date.now() + 3600_000) : null,
        JSON.stringify(log),
        status === 'succeeded' ? new Date() : null,
      ],
    );
    return { id, messageId };
  }

  /** A record's first delivery, pending and not due for an hour (written directly, as the journal queues it). */
  async function pendingRecordDelivery(webhookId: string) {
    const recordId = newId();
    const payload = { type: 'member.added', timestamp: new Date().toISOString(), data: { id: recordId } };
    await sql(
      `insert into webhook_deliveries (id, webhook_id, message_id, event_type, record_id, payload, status, attempts,
         next_attempt_at, attempt_log, created_at)
       values (?, ?, ?, 'member.added', ?, ?::jsonb, 'pending', 0, ?, '[]'::jsonb, now())`,
      [newId(), webhookId, `msg_${recordId}`, recordId, JSON.stringify(payload), new Date(Date.now() + 3600_000)],
    );
  }

  it('redelivers with the same message id, at the end of the queue', async () => {
    const created = await create();
    const original = await delivered(created.webhook.id);
    const res = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/deliveries/${original.id}/redeliver`);
    expect(res.statusCode, res.body).toBe(202);
    const copy = res.json().data;
    expect(copy).toMatchObject({
      messageId: original.messageId,
      eventType: 'webhook.test',
      attempts: 0,
      attemptLog: [],
    });
    // The queue's order is `position`, assigned at insert: the copy is behind the original.
    const rows = await sql('select id, payload from webhook_deliveries where message_id = ? order by position', [
      original.messageId,
    ]);
    expect(rows.map((row) => row.id)).toEqual([original.id, copy.id]);
    expect(rows[1].payload).toEqual(rows[0].payload);
  });

  it('refuses to redeliver a pending delivery or to a disabled endpoint', async () => {
    const created = await create();
    const pendingId = (await delivered(created.webhook.id, 'pending')).id;
    const pending = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/deliveries/${pendingId}/redeliver`);
    expect(pending.statusCode).toBe(409);
    const done = await delivered(created.webhook.id);
    await call(owner, 'PUT', `${hooks()}/${created.webhook.id}`, { enabled: false });
    const disabled = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/deliveries/${done.id}/redeliver`);
    expect(disabled.statusCode).toBe(409);
    const unknown = await call(owner, 'POST', `${hooks()}/${created.webhook.id}/deliveries/${newId()}/redeliver`);
    expect(unknown.statusCode).toBe(404);
  });

  it('lists deliveries newest first, by status, with attempts newest first', async () => {
    const created = await create();
    const first = await delivered(created.webhook.id);
    const second = await delivered(created.webhook.id, 'pending');
    const all = (await call(owner, 'GET', `${hooks()}/${created.webhook.id}/deliveries`)).json();
    expect(all.data.map((delivery: { id: string }) => delivery.id)).toEqual([second.id, first.id]);
    const succeeded = all.data[1];
    expect(succeeded.attemptLog.map((attempt: { statusCode: number }) => attempt.statusCode)).toEqual([204, 500]);
    expect(JSON.stringify(all)).not.toContain('payload');

    const page = (await call(owner, 'GET', `${hooks()}/${created.webhook.id}/deliveries?limit=1`)).json();
    const next = await call(
      owner,
      'GET',
      `${hooks()}/${created.webhook.id}/deliveries?limit=1&cursor=${page.meta.nextCursor}`,
    );
    expect(next.json().data.map((delivery: { id: string }) => delivery.id)).toEqual([first.id]);

    const onlySucceeded = await call(owner, 'GET', `${hooks()}/${created.webhook.id}/deliveries?status=succeeded`);
    expect(onlySucceeded.json().data.map((delivery: { id: string }) => delivery.id)).toEqual([first.id]);
  });

  it('allows at most 10 pending test messages and redeliveries per endpoint, whatever records are pending', async () => {
    const silent = await startSilentReceiver();
    try {
      const created = await create({ url: silent.url });
      const finished = await delivered(created.webhook.id);
      const queued = [];
      for (let index = 0; index < 9; index++) {
        queued.push(await call(owner, 'POST', `${hooks()}/${created.webhook.id}/test`));
      }
      const redelivered = `${hooks()}/${created.webhook.id}/deliveries/${finished.id}/redeliver`;
      queued.push(await call(owner, 'POST', redelivered));
      expect(queued.map((res) => res.statusCode)).toEqual(Array(10).fill(202));

      for (const path of [`${hooks()}/${created.webhook.id}/test`, redelivered]) {
        const refused = await call(owner, 'POST', path);
        expect(refused.statusCode, path).toBe(409);
        expect(refused.json()).toMatchObject({ code: 'CONFLICT', meta: { reason: 'TOO_MANY_PENDING', limit: 10 } });
        expect(refused.json().message).toContain('10');
      }
      expect(
        await sql("select id from webhook_deliveries where webhook_id = ? and status = 'pending'", [
          created.webhook.id,
        ]),
      ).toHaveLength(10);

      // Records queued for an endpoint are not capped, and do not count against its test messages.
      const busy = await create({ url: silent.url });
      for (let index = 0; index < 12; index++) await pendingRecordDelivery(busy.webhook.id);
      expect((await call(owner, 'POST', `${hooks()}/${busy.webhook.id}/test`)).statusCode).toBe(202);
    } finally {
      await silent.close();
    }
  });

  it('drops an endpoint’s deliveries with it', async () => {
    const created = await create();
    await delivered(created.webhook.id);
    await call(owner, 'DELETE', `${hooks()}/${created.webhook.id}`);
    expect(await sql('select id from webhook_deliveries where webhook_id = ?', [created.webhook.id])).toEqual([]);
  });
});

describe('journal', () => {
  it('records every change with actor, ip, request id and changes, never a secret', async () => {
    const created = await create({ events: ['member.added'] });
    const id = created.webhook.id;
    await call(owner, 'PUT', `${hooks()}/${id}`, { events: ['member.removed'], enabled: false });
    await call(owner, 'PUT', `${hooks()}/${id}`, { enabled: false });
    const rotated = (await call(owner, 'POST', `${hooks()}/${id}/rotate-secret`)).json().data as Created;
    await call(owner, 'DELETE', `${hooks()}/${id}`);

    const records = await webhookRecords();
    expect(records.map((record) => record.action)).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.secret_rotated',
      'webhook.deleted',
    ]);
    for (const record of records) {
      expect(record).toMatchObject({
        actor_type: 'user',
        actor_id: owner.userId,
        target_type: 'webhook',
        target_id: id,
        target_name: receiver.url,
        ip: '127.0.0.1',
        outcome: 'success',
      });
      expect(record.request_id).toBeTruthy();
      const text = JSON.stringify(record);
      for (const secret of [created.secret, rotated.secret]) expect(text).not.toContain(secret);
      expect(text).not.toContain('whsec_');
    }
    expect(records[0].changes).toEqual({
      url: { after: receiver.url },
      events: { after: ['member.added'] },
      description: { after: null },
      enabled: { after: true },
    });
    expect(records[1].changes).toEqual({
      events: { before: ['member.added'], after: ['member.removed'] },
      enabled: { before: true, after: false },
    });
    expect(records[2].changes).toBeNull();
    expect(records[3].changes).toMatchObject({ url: { before: receiver.url }, enabled: { before: false } });
  });

  it('records an endpoint URL without its query values and token-like path segments; owners see it whole', async () => {
    const secretPath = '/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx';
    const url = `${receiver.url}${secretPath}?token=s3cr3t-value&channel=ops`;
    // The receiver's own first segment (`hooks`) reads as a word; everything after it may be a credential.
    const recorded = `${new URL(receiver.url).origin}/hooks/…?…`;
    const created = await create({ url });
    expect(created.webhook.url).toBe(url);
    expect((await call(owner, 'GET', `${hooks()}/${created.webhook.id}`)).json().data.url).toBe(url);

    const rotatedUrl = url.replace('abcdefghijklmnopqrstuvwx', 'zyxwvutsrqponmlkjihgfedc');
    await call(owner, 'PUT', `${hooks()}/${created.webhook.id}`, { url: rotatedUrl });
    await call(owner, 'DELETE', `${hooks()}/${created.webhook.id}`);

    const records = await webhookRecords();
    expect(records.map((record) => record.target_name)).toEqual([recorded, recorded, recorded]);
    expect(records[0].changes.url).toEqual({ after: recorded });
    // Only the token changed: the record says the URL changed, without either token.
    expect(records[1].changes).toEqual({ url: { before: recorded, after: recorded } });
    expect(records[2].changes.url).toEqual({ before: recorded });
    const text = JSON.stringify(records);
    for (const secret of ['s3cr3t', 'abcdefghijklmnopqrstuvwx', 'zyxwvutsrqponmlkjihgfedc', 'T0123ABCD', 'B0456EFGH']) {
      expect(text).not.toContain(secret);
    }
  });

  it('delivers its own changes to the endpoints subscribed to them', async () => {
    const watcher = await create({ events: ['webhook.*'] });
    const created = await create({ events: ['member.*'] });
    const [record] = (await webhookRecords()).filter((row) => row.target_id === created.webhook.id);
    const deliveries = await sql('select * from webhook_deliveries where record_id = ?', [record.id]);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      webhook_id: watcher.webhook.id,
      message_id: `msg_${record.id}`,
      event_type: 'webhook.created',
    });
    expect(deliveries[0].payload.data).toMatchObject({ id: record.id, action: 'webhook.created' });
  });
});
