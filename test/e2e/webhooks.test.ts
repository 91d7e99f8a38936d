import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/client.js';
import { mailedToken, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Outgoing webhooks through the gateway, to a real receiver on loopback that verifies every message with the
 * `standardwebhooks` package: signed, in order, retried while it fails, two signatures after a rotation.
 */

let stack: Stack;
let owner: Awaited<ReturnType<typeof verifiedUser>>;
const receiver = new WebhookReceiver();
let receiverUrl: string;

beforeAll(async () => {
  receiverUrl = await receiver.start();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    // Loopback receiver: private addresses allowed, as for local development; a short retry schedule.
    { audit: { WEBHOOK_ALLOW_PRIVATE_URLS: true, WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1600ms' } },
  );
  owner = await verifiedUser(stack, 'Wendy Webhooks');
});
afterAll(async () => {
  await stack?.close();
  await receiver.stop();
});

const hooks = () => `/api/user/organizations/${owner.organizationId}/webhooks`;
const projects = () => `/api/user/organizations/${owner.organizationId}/projects`;

async function register(events: string[]): Promise<{ webhook: Json; secret: string }> {
  const created = await owner.client.post(hooks(), { url: receiverUrl, events, description: 'e2e receiver' });
  expect(created.status).toBe(201);
  return created.body.data;
}

function received(count: number, timeoutMs = 30_000) {
  return eventually(async () => {
    if (receiver.messages.length < count) throw new Error(`${receiver.messages.length} of ${count} so far`);
    return receiver.messages.slice(0, count);
  }, timeoutMs);
}

describe('webhooks through the gateway', () => {
  it('delivers subscribed records, signed and in order, exactly as the audit log holds them', async () => {
    const { webhook, secret } = await register(['project.*', 'member.*']);
    receiver.secrets = [secret];
    expect(secret).toMatch(/^whsec_/);
    expect(JSON.stringify((await owner.client.get(`${hooks()}/${webhook.id}`)).body)).not.toContain(secret);

    const project = await owner.client.post(projects(), { name: 'Hooked' });
    await owner.client.put(`${projects()}/${project.body.data.id}`, { status: 'active' });
    await owner.client.delete(`${projects()}/${project.body.data.id}`);
    const member = await verifiedUser(stack, 'Nina New');
    await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, {
      email: member.email,
      role: 'member',
    });
    const token = await mailedToken(stack, member.email, '/accept-invite?token=');
    await member.client.post(`/api/user/invites/${token}/accept`);

    const messages = await received(4);
    expect(messages.map((m) => m.type)).toEqual([
      'project.created',
      'project.updated',
      'project.deleted',
      'member.added',
    ]);
    // Invitations were not subscribed to: none arrived.
    expect(receiver.messages.some((m) => m.type.startsWith('invitation.'))).toBe(false);
    const [createdMessage] = messages;
    expect(createdMessage!.data).toMatchObject({
      action: 'project.created',
      organizationId: owner.organizationId,
      actor: { type: 'user', id: owner.userId },
      target: { type: 'project', id: project.body.data.id, name: 'Hooked' },
    });
    expect(createdMessage!.id).toBe(`msg_${createdMessage!.data.id}`);
    const log = await owner.client.get(
      `/api/user/organizations/${owner.organizationId}/audit-logs?action=project.created&targetId=${project.body.data.id}`,
    );
    expect(createdMessage!.data).toEqual(log.body.data[0]);
  });

  it('retries while the receiver fails, keeps the order, and logs every attempt', async () => {
    receiver.messages.length = 0;
    receiver.failNext(3);
    for (const name of ['First', 'Second', 'Third']) await owner.client.post(projects(), { name });
    const messages = await received(3);
    expect(messages.map((m) => m.data.target.name)).toEqual(['First', 'Second', 'Third']);
    const failedThenDelivered = receiver.requests.filter((r) => r.id === messages[0]!.id).map((r) => r.status);
    expect(failedThenDelivered).toEqual([500, 500, 500, 204]);

    const [webhook] = (await owner.client.get(hooks())).body.data;
    const deliveries = await owner.client.get(`${hooks()}/${webhook.id}/deliveries?limit=100`);
    const first = deliveries.body.data.find((d: Json) => d.messageId === messages[0]!.id);
    expect(first).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(first.attemptLog.map((a: Json) => a.statusCode)).toEqual([204, 500, 500, 500]);
    expect(first.attemptLog[1].responseExcerpt).toContain('maintenance');
  });

  it('signs with both secrets for a while after a rotation, and sends a test message', async () => {
    const [webhook] = (await owner.client.get(hooks())).body.data;
    const rotated = await owner.client.post(`${hooks()}/${webhook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const oldSecret = receiver.secrets[0]!;
    receiver.secrets = [rotated.body.data.secret, oldSecret];
    receiver.messages.length = 0;
    const test = await owner.client.post(`${hooks()}/${webhook.id}/test`);
    expect(test.status).toBe(202);
    const [message] = await received(1);
    expect(message!.type).toBe('webhook.test');
    expect(message!.verifiedWith).toEqual([0, 1]);
    expect(String(message!.headers['webhook-signature']).split(' ')).toHaveLength(2);

    const redelivered = await owner.client.post(`${hooks()}/${webhook.id}/deliveries/${test.body.data.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    const [, again] = await received(2);
    expect(again!.id).toBe(message!.id);
  });

  it('refuses unsafe endpoints and unknown events, naming the field', async () => {
    const privateUrls = { url: 'https://hooks.example.com/x', events: ['no.such_event'] };
    const unknown = await owner.client.post(hooks(), privateUrls);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.meta)).toContain('events');
    const withPassword = await owner.client.post(hooks(), { url: 'https://a:b@hooks.example.com/x', events: ['*'] });
    expect(withPassword.status).toBe(400);
  });
});
