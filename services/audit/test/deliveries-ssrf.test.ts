import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionCounter, deliveriesOf, insertWebhook, queueDeliveries, sqlOf } from './deliveries-support.js';
import { type AuditHarness, startAudit } from './harness.js';

describe('webhook deliveries with private addresses refused', () => {
  let audit: AuditHarness;
  const listener = new ConnectionCounter();
  let port: number;

  beforeAll(async () => {
    audit = await startAudit({ WEBHOOK_ALLOW_PRIVATE_URLS: false, WEBHOOK_ORGANIZATION_CONCURRENCY: 2 });
    port = await listener.start();
  });
  afterAll(async () => {
    await audit.close();
    await listener.stop();
  });

  it.each([
    ['https://127.0.0.1:PORT/hooks', 'the URL must be on a public address'],
    ['https://localhost:PORT/hooks', 'the URL must be on a public host'],
    ['http://127.0.0.1:PORT/hooks', 'the URL must be an https URL'],
  ])('never connects to %s: each attempt fails, then the endpoint is disabled', async (template, refusal) => {
    const webhook = await insertWebhook(audit, template.replace('PORT', String(port)));
    await queueDeliveries(audit, webhook.id, 1);
    const [delivery] = await eventually(async () => {
      const rows = await deliveriesOf(audit, webhook.id);
      expect(rows[0]?.status).toBe('failed');
      return rows;
    }, 15_000);
    expect(delivery!.attemptLog).toHaveLength(4);
    for (const attempt of delivery!.attemptLog) {
      expect(attempt).toMatchObject({ statusCode: null, responseExcerpt: null });
      expect(attempt.error).toBe(refusal);
    }
    expect(listener.connections).toBe(0);
    const [endpoint] = await sqlOf(audit)('select enabled from webhooks where id = ?', [webhook.id]);
    expect(endpoint).toEqual({ enabled: false });
  });
});
