import { eventually, PrivateServer, startTestService } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildAudit } from '../../services/audit/src/app.js';
import { auditService } from '../../services/audit/src/definition.js';
import { ApiClient } from '../support/client.js';
import { createKey, keyClient, PASSWORD, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * NATS or the audit service going away mid-stream loses no record and duplicates none: the producers' outboxes
 * hold the events, the audit consumer is durable and idempotent, and the chain stays whole.
 */
const nats = PrivateServer.nats();
let stack: Stack;

beforeAll(async () => {
  await nats.start();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    { natsUrl: nats.url, audit: true },
  );
});
afterAll(async () => {
  await stack?.close();
  await nats.destroy();
});

async function projectRecords(organizationId: string): Promise<Array<{ target_name: string }>> {
  return stack
    .audit!.deps.orm.em.fork()
    .execute(
      "select target_name from audit_records where organization_id = ? and action = 'project.created' order by sequence",
      [organizationId],
    );
}

describe('the audit log through outages', () => {
  it('records every change made while the audit service was down, once, in order', async () => {
    const owner = await verifiedUser(stack, 'Otto Outage');
    const key = await createKey(owner.client, { name: 'ops', scopes: ['projects:write', 'audit-logs:read'] });
    const client = keyClient(stack, key.key);
    const base = `/api/user/organizations/${owner.organizationId}/projects`;
    await client.post(base, { name: 'before-0' });
    await eventually(async () => expect(await projectRecords(owner.organizationId)).toHaveLength(1), 20_000);

    // Killed: its consumer stops mid-stream; the database stays.
    const previous = stack.audit!;
    await previous.app.close();
    await previous.deps.close();
    for (let i = 0; i < 10; i++) expect((await client.post(base, { name: `while-down-${i}` })).status).toBe(201);

    const restarted = await startTestService(
      auditService,
      previous.deps.config,
      stack.keys,
      (deps) => buildAudit(deps),
      {
        ownsStream: false,
      },
    );
    stack.audit = restarted;
    await eventually(async () => expect(await projectRecords(owner.organizationId)).toHaveLength(11), 30_000);
    const names = (await projectRecords(owner.organizationId)).map((r) => r.target_name);
    expect(names).toEqual(['before-0', ...Array.from({ length: 10 }, (_, i) => `while-down-${i}`)]);
    const verification = await restarted.app.inject({
      method: 'GET',
      url: `/api/user/organizations/${owner.organizationId}/audit-logs/verify`,
      headers: await restarted.as({
        kind: 'session',
        userId: owner.userId,
        credentialId: 'test-session',
        scopes: [],
        role: 'user',
      }),
    });
    expect(verification.json().data).toMatchObject({ intact: true });
  }, 90_000);

  it('records what happened while NATS was away once it is back', async () => {
    const owner = await verifiedUser(stack, 'Nora NATS');
    const base = `/api/user/organizations/${owner.organizationId}/projects`;
    await owner.client.post(base, { name: 'warm' });
    await eventually(async () => expect(await projectRecords(owner.organizationId)).toHaveLength(1), 20_000);
    // A fresh session, resolved just now: the gateway's cache (CREDENTIAL_CACHE_SECONDS) serves it while NATS is away.
    const fresh = new ApiClient(stack.urls.gateway);
    expect((await fresh.post('/api/auth/sign-in/email', { email: owner.email, password: PASSWORD })).status).toBe(200);
    expect((await fresh.get('/api/user/me')).status).toBe(200);
    await nats.stop();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fresh.post(base, { name: `dark-${i}` });
      if (res.status === 201) made.push(`dark-${i}`);
    }
    expect(made.length).toBeGreaterThan(0);
    await nats.start();
    await eventually(
      async () => expect(await projectRecords(owner.organizationId)).toHaveLength(1 + made.length),
      45_000,
      250,
    );
    expect((await projectRecords(owner.organizationId)).map((r) => r.target_name)).toEqual(['warm', ...made]);
  }, 90_000);
});
