import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { EVENT_SUBJECTS, newId, RPC_SUBJECTS } from '@gatehouse/contracts';
import { natsConnectionOptions } from '@gatehouse/service-kit';
import { eventually, PrivateServer } from '@gatehouse/service-kit/testing';
import { AckPolicy, connect, DeliverPolicy, ErrorCode, type NatsConnection, nanos, StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, keyClient, mailedToken, signedInUser } from '../support/flows.js';
import { type Stack, type StackProcess, startStack } from '../support/stack.js';

/**
 * A private nats-server started with the shipped infra/nats/nats-server.conf: every process on
 * its own user, with the production subjects (no namespace prefix, the GATEHOUSE_EVENTS stream).
 */
const CONF = fileURLToPath(new URL('../../infra/nats/nats-server.conf', import.meta.url));
const STREAM = 'GATEHOUSE_EVENTS';
const USERS: StackProcess[] = ['identity', 'organization', 'project', 'audit', 'billing', 'gateway'];
// Letters and digits, starting with a letter: nats-server parses an environment value as config.
const passwords = Object.fromEntries(USERS.map((user) => [user, `p${randomBytes(16).toString('hex')}`]));
const nats = new PrivateServer(
  process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server',
  (port) => ['-c', CONF, '-a', '127.0.0.1', '-p', String(port)],
  'nats',
  (dataDir) => ({
    NATS_STORE_DIR: dataDir,
    ...Object.fromEntries(USERS.map((user) => [`NATS_${user.toUpperCase()}_PASSWORD`, passwords[user] ?? ''])),
  }),
);
const urlAs = (user: StackProcess) => `nats://${user}:${passwords[user]}@127.0.0.1:${nats.port}`;

interface Refusal {
  operation: string;
  subject: string;
}

/** Connects as a user the way the processes do, and records what the server refuses it. */
async function connectAs(user: StackProcess): Promise<{ nc: NatsConnection; refused: Refusal[] }> {
  const nc = await connect(natsConnectionOptions({ url: urlAs(user) }, user));
  return { nc, refused: recordRefusals(nc) };
}

function recordRefusals(nc: NatsConnection, refused: Refusal[] = []): Refusal[] {
  void (async () => {
    for await (const status of nc.status()) {
      const context = (status as { permissionContext?: Refusal }).permissionContext;
      if (context) refused.push({ operation: context.operation, subject: context.subject });
    }
  })();
  return refused;
}

const codec = StringCodec();
const event = (type: string, data: Record<string, unknown>) =>
  codec.encode(JSON.stringify({ id: newId(), type, occurredAt: new Date().toISOString(), version: 1, data }));

beforeAll(async () => {
  await nats.start();
});
afterAll(async () => {
  await nats.destroy();
});

describe('NATS with the shipped permissions', () => {
  it('refuses a connection without credentials, or with another user’s password', async () => {
    await expect(connect({ servers: nats.url })).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
    const wrong = `nats://project:${passwords.identity}@127.0.0.1:${nats.port}`;
    await expect(connect(natsConnectionOptions({ url: wrong }, 'project'))).rejects.toMatchObject({
      code: ErrorCode.AuthorizationViolation,
    });
  });
});

describe('the whole stack, each process on its own NATS user', () => {
  let stack: Stack;
  const refused: Refusal[] = [];

  beforeAll(async () => {
    stack = await startStack({}, {}, { natsUrl: urlAs, unprefixedSubjects: true, audit: true, billing: true });
    for (const service of [stack.identity, stack.organization, stack.project, stack.audit, stack.billing]) {
      if (service) recordRefusals(service.deps.messaging.nc, refused);
    }
    for (const gateway of stack.gateways) recordRefusals(gateway.deps.nc, refused);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('runs the Quick Start: RPCs, outbox events, every durable consumer and revocations work', async () => {
    // Sign-up provisions the organization over RPC (identity → organization).
    const alice = await signedInUser(stack, 'Alice Allowed');
    expect(alice.organizationId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    await mailedToken(stack, alice.email, '/verify-email?token=');
    const key = await createKey(alice.client, {
      name: 'CI deploy bot',
      expiresIn: 2592000,
      scopes: ['user:read', 'projects:read', 'projects:write'],
    });
    // Every API-key request is resolved over RPC (gateway → identity).
    const bot = keyClient(stack, key.key);
    const me = await bot.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data.organizationCount).toBe(1);
    const created = await bot.post(`/api/user/organizations/${alice.organizationId}/projects`, {
      name: 'Deploy target',
    });
    expect(created.status).toBe(201);
    expect((await bot.get(`/api/user/organizations/${alice.organizationId}/projects`)).body.data).toHaveLength(1);

    // Each service's outbox published and each durable consumer pulled and acked its events.
    const consumed = async (
      service:
        | Stack['identity']
        | Stack['organization']
        | Stack['project']
        | NonNullable<Stack['audit']>
        | NonNullable<Stack['billing']>,
    ) =>
      (
        (await service.deps.orm.em
          .fork()
          .execute('select distinct consumer from processed_events order by consumer')) as Array<{ consumer: string }>
      ).map((row) => row.consumer);
    // Billing published the new organization's (Free) entitlements, which every enforcing service keeps.
    await eventually(async () => {
      expect(await consumed(stack.identity)).toEqual(['identity-entitlements', 'identity-memberships']);
      expect(await consumed(stack.organization)).toEqual(['organization-entitlements', 'organization-users']);
      expect(await consumed(stack.project)).toEqual(['project-entitlements', 'project-memberships', 'project-users']);
      expect(await consumed(stack.audit as NonNullable<Stack['audit']>)).toEqual([
        'audit-memberships',
        'audit-records',
      ]);
      expect(await consumed(stack.billing as NonNullable<Stack['billing']>)).toEqual([
        'billing-memberships',
        'billing-organizations',
      ]);
    }, 15_000);

    // A key refused a route: the gateway publishes the security event to JetStream itself.
    const refusedRoute = await bot.post('/api/auth/api-key/create', { name: 'child', scopes: ['user:read'] });
    expect(refusedRoute.status).toBe(403);
    await eventually(async () => {
      const metrics = (await stack.gateways[0]?.app.inject({ method: 'GET', url: '/metrics' }))?.body ?? '';
      expect(metrics).toMatch(/gateway_activity_published_total\{action="api_key\.denied"[^}]*\} 1/);
    }, 15_000);

    // A second gateway learns of the revocation from the event (its subscription is allowed).
    const replica = await stack.addGateway();
    const viaReplica = keyClient(stack, key.key, replica.url);
    expect((await viaReplica.get('/api/user/me')).status).toBe(200);
    expect((await alice.client.post('/api/auth/api-key/delete', { keyId: key.id })).status).toBe(200);
    await eventually(async () => expect((await viaReplica.get('/api/user/me')).status).toBe(401));

    expect(refused).toEqual([]);
  }, 60_000);
});

describe('what each user may not do', () => {
  it('the project user can neither answer credential look-ups nor read or forge anyone’s replies', async () => {
    const { nc, refused } = await connectAs('project');
    try {
      nc.subscribe(RPC_SUBJECTS.resolveCredential, { queue: `rpc.${RPC_SUBJECTS.resolveCredential}` });
      nc.subscribe('_INBOX.gateway.>');
      nc.publish('_INBOX.gateway.forged', codec.encode(JSON.stringify({ ok: true })));
      await eventually(async () =>
        expect(refused).toEqual(
          expect.arrayContaining([
            { operation: 'subscription', subject: RPC_SUBJECTS.resolveCredential },
            { operation: 'subscription', subject: '_INBOX.gateway.>' },
            { operation: 'publish', subject: '_INBOX.gateway.forged' },
          ]),
        ),
      );
    } finally {
      await nc.close();
    }
  });

  it('the project user cannot publish identity or organization events, nor touch the stream; its own needs work', async () => {
    const { nc, refused } = await connectAs('project');
    const organization = await connectAs('organization');
    try {
      const js = nc.jetstream({ timeout: 5000 });
      for (const subject of [EVENT_SUBJECTS.userRegistered, EVENT_SUBJECTS.memberAdded]) {
        await expect(js.publish(subject, event(subject, { userId: 'u1' }))).rejects.toMatchObject({
          code: ErrorCode.PermissionsViolation,
        });
      }
      const jsm = await nc.jetstreamManager({ timeout: 5000 });
      await expect(jsm.streams.delete(STREAM)).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      await expect(jsm.streams.purge(STREAM)).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      // Nor shape it: a stream it made could capture the RPC subjects.
      await expect(
        jsm.streams.add({ name: STREAM, subjects: ['events.>', RPC_SUBJECTS.resolveCredential] }),
      ).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      expect(refused.map((refusal) => refusal.subject)).toEqual(
        expect.arrayContaining([EVENT_SUBJECTS.userRegistered, EVENT_SUBJECTS.memberAdded]),
      );

      // Its own: an event in its namespace, and its durable consumer (made here if the stack did not).
      expect((await js.publish('events.project.checked', event('events.project.checked', {}))).stream).toBe(STREAM);
      const durable = 'project-memberships';
      await jsm.consumers.info(STREAM, durable).catch(() =>
        jsm.consumers.add(STREAM, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: 'events.organization.>',
          ack_wait: nanos(5_000),
          max_ack_pending: 1,
        }),
      );
      const added = event(EVENT_SUBJECTS.memberAdded, { organizationId: 'o1', userId: 'u1', role: 'member' });
      const addedId = JSON.parse(codec.decode(added)).id;
      await organization.nc.jetstream().publish(EVENT_SUBJECTS.memberAdded, added);
      const consumer = await js.consumers.get(STREAM, durable);
      const seen: string[] = [];
      await eventually(async () => {
        for await (const message of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
          seen.push(JSON.parse(codec.decode(message.data)).id);
          expect(await message.ackAck()).toBe(true);
        }
        expect(seen).toContain(addedId);
      }, 15_000);
      expect(organization.refused).toEqual([]);
    } finally {
      await nc.close();
      await organization.nc.close();
    }
  }, 30_000);

  it('the audit user reads through its own consumers and publishes only its own events; it cannot shape the stream', async () => {
    const { nc, refused } = await connectAs('audit');
    try {
      const js = nc.jetstream({ timeout: 5000 });
      for (const subject of [
        EVENT_SUBJECTS.userRegistered,
        EVENT_SUBJECTS.memberAdded,
        EVENT_SUBJECTS.gatewayActivity,
      ]) {
        await expect(js.publish(subject, event(subject, { userId: 'u1' }))).rejects.toMatchObject({
          code: ErrorCode.PermissionsViolation,
        });
      }
      const jsm = await nc.jetstreamManager({ timeout: 5000 });
      expect((await jsm.streams.info(STREAM)).config.name).toBe(STREAM);
      await expect(jsm.streams.add({ name: STREAM, subjects: ['events.>'] })).rejects.toMatchObject({
        code: ErrorCode.PermissionsViolation,
      });
      await expect(jsm.streams.purge(STREAM)).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      expect((await js.publish('events.audit.checked', event('events.audit.checked', {}))).stream).toBe(STREAM);
      // Its consumers, each with its filter pinned; another filter under its name is refused.
      for (const [durable, filter] of [
        ['audit-records', 'events.>'],
        ['audit-memberships', 'events.organization.>'],
      ] as const) {
        await jsm.consumers.info(STREAM, durable).catch(() =>
          jsm.consumers.add(STREAM, {
            durable_name: durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            filter_subject: filter,
            ack_wait: nanos(5_000),
            max_ack_pending: 1,
          }),
        );
      }
      await expect(
        jsm.consumers.add(STREAM, {
          durable_name: 'identity-memberships',
          ack_policy: AckPolicy.Explicit,
          filter_subject: 'events.organization.>',
        }),
      ).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      const records = await js.consumers.get(STREAM, 'audit-records');
      const audited: string[] = [];
      await eventually(async () => {
        for await (const message of await records.fetch({ max_messages: 100, expires: 1000 })) {
          audited.push(message.subject);
          expect(await message.ackAck()).toBe(true);
        }
        expect(audited).toContain('events.audit.checked');
      }, 15_000);
      nc.subscribe(RPC_SUBJECTS.resolveCredential);
      nc.subscribe('_INBOX.gateway.>');
      await eventually(async () =>
        expect(refused).toEqual(
          expect.arrayContaining([
            { operation: 'subscription', subject: RPC_SUBJECTS.resolveCredential },
            { operation: 'subscription', subject: '_INBOX.gateway.>' },
          ]),
        ),
      );
    } finally {
      await nc.close();
    }
  }, 30_000);

  it('the gateway publishes its security events to the stream, and no identity or organization event', async () => {
    const { nc, refused } = await connectAs('gateway');
    try {
      const js = nc.jetstream({ timeout: 5000 });
      const activity = event(EVENT_SUBJECTS.gatewayActivity, { action: 'api_key.denied' });
      expect((await js.publish(EVENT_SUBJECTS.gatewayActivity, activity)).stream).toBe(STREAM);
      for (const subject of [
        EVENT_SUBJECTS.userRegistered,
        EVENT_SUBJECTS.identityActivity,
        EVENT_SUBJECTS.memberAdded,
      ]) {
        await expect(js.publish(subject, event(subject, {}))).rejects.toMatchObject({
          code: ErrorCode.PermissionsViolation,
        });
      }
      await eventually(async () =>
        expect(refused.map((refusal) => refusal.subject)).toEqual([
          EVENT_SUBJECTS.userRegistered,
          EVENT_SUBJECTS.identityActivity,
          EVENT_SUBJECTS.memberAdded,
        ]),
      );
    } finally {
      await nc.close();
    }
  });

  it('the gateway may only ask for credentials and hear revocations; no service may publish another’s events', async () => {
    const gateway = await connectAs('gateway');
    const organization = await connectAs('organization');
    const identity = await connectAs('identity');
    try {
      gateway.nc.publish(EVENT_SUBJECTS.credentialRevoked, event(EVENT_SUBJECTS.credentialRevoked, {}));
      gateway.nc.publish(RPC_SUBJECTS.getMembership, codec.encode('{}'));
      gateway.nc.subscribe(RPC_SUBJECTS.resolveCredential);
      organization.nc.publish(EVENT_SUBJECTS.userRegistered, event(EVENT_SUBJECTS.userRegistered, {}));
      organization.nc.subscribe(RPC_SUBJECTS.resolveCredential);
      identity.nc.publish(EVENT_SUBJECTS.memberAdded, event(EVENT_SUBJECTS.memberAdded, {}));
      identity.nc.subscribe(RPC_SUBJECTS.getMembership);
      await eventually(async () => {
        expect(gateway.refused).toEqual([
          { operation: 'publish', subject: EVENT_SUBJECTS.credentialRevoked },
          { operation: 'publish', subject: RPC_SUBJECTS.getMembership },
          { operation: 'subscription', subject: RPC_SUBJECTS.resolveCredential },
        ]);
        expect(organization.refused).toEqual([
          { operation: 'publish', subject: EVENT_SUBJECTS.userRegistered },
          { operation: 'subscription', subject: RPC_SUBJECTS.resolveCredential },
        ]);
        expect(identity.refused).toEqual([
          { operation: 'publish', subject: EVENT_SUBJECTS.memberAdded },
          { operation: 'subscription', subject: RPC_SUBJECTS.getMembership },
        ]);
      });
    } finally {
      await Promise.all([gateway.nc.close(), organization.nc.close(), identity.nc.close()]);
    }
  });

  it('the billing user publishes only its own events, answers entitlement look-ups, counts members and reads organization events through its own consumers', async () => {
    const { nc, refused } = await connectAs('billing');
    const organization = await connectAs('organization');
    const project = await connectAs('project');
    try {
      const js = nc.jetstream({ timeout: 5000 });
      const changed = event(EVENT_SUBJECTS.billingEntitlementsChanged, { organizationId: 'o1' });
      expect((await js.publish(EVENT_SUBJECTS.billingEntitlementsChanged, changed)).stream).toBe(STREAM);
      const activity = event(EVENT_SUBJECTS.billingActivity, { action: 'invoice.paid' });
      expect((await js.publish(EVENT_SUBJECTS.billingActivity, activity)).stream).toBe(STREAM);
      for (const subject of [
        EVENT_SUBJECTS.userRegistered,
        EVENT_SUBJECTS.memberAdded,
        EVENT_SUBJECTS.gatewayActivity,
      ]) {
        await expect(js.publish(subject, event(subject, {}))).rejects.toMatchObject({
          code: ErrorCode.PermissionsViolation,
        });
      }
      const jsm = await nc.jetstreamManager({ timeout: 5000 });
      await expect(jsm.streams.add({ name: STREAM, subjects: ['events.>'] })).rejects.toMatchObject({
        code: ErrorCode.PermissionsViolation,
      });
      await expect(jsm.streams.purge(STREAM)).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      // Its consumers read organization events only; identity's are not its to read.
      for (const durable of ['billing-memberships', 'billing-organizations']) {
        await jsm.consumers.info(STREAM, durable).catch(() =>
          jsm.consumers.add(STREAM, {
            durable_name: durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            filter_subject: 'events.organization.>',
            ack_wait: nanos(5_000),
            max_ack_pending: 1,
          }),
        );
      }
      await expect(
        jsm.consumers.add(STREAM, {
          durable_name: 'billing-users',
          ack_policy: AckPolicy.Explicit,
          filter_subject: 'events.identity.user.>',
        }),
      ).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
      const created = event(EVENT_SUBJECTS.organizationCreated, { organizationId: 'o1', name: 'O', slug: 'o' });
      const createdId = JSON.parse(codec.decode(created)).id;
      await organization.nc.jetstream().publish(EVENT_SUBJECTS.organizationCreated, created);
      const consumer = await js.consumers.get(STREAM, 'billing-organizations');
      const seen: string[] = [];
      await eventually(async () => {
        for await (const message of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
          seen.push(JSON.parse(codec.decode(message.data)).id);
          expect(await message.ackAck()).toBe(true);
        }
        expect(seen).toContain(createdId);
      }, 15_000);

      // It answers billing.entitlements.get (a queue group, as serveRpc makes), and asks for memberships.
      nc.subscribe(RPC_SUBJECTS.getEntitlements, {
        queue: `rpc.${RPC_SUBJECTS.getEntitlements}`,
        callback: (_error, message) => message.respond(codec.encode(JSON.stringify({ found: false }))),
      });
      await nc.flush();
      const answer = await project.nc.request(RPC_SUBJECTS.getEntitlements, codec.encode('{"organizationId":"o1"}'));
      expect(JSON.parse(codec.decode(answer.data))).toEqual({ found: false });
      nc.publish(RPC_SUBJECTS.getMembership, codec.encode('{}'));
      // Checkout asks organization.members.count, which organization answers (its queue group); project may not ask.
      organization.nc.subscribe(RPC_SUBJECTS.countMembers, {
        queue: `rpc.${RPC_SUBJECTS.countMembers}`,
        callback: (_error, message) => message.respond(codec.encode(JSON.stringify({ found: true, members: 2 }))),
      });
      await organization.nc.flush();
      const count = await nc.request(RPC_SUBJECTS.countMembers, codec.encode('{"organizationId":"o1"}'));
      expect(JSON.parse(codec.decode(count.data))).toEqual({ found: true, members: 2 });
      project.nc.publish(RPC_SUBJECTS.countMembers, codec.encode('{}'));

      nc.subscribe(RPC_SUBJECTS.resolveCredential);
      nc.subscribe('_INBOX.gateway.>');
      nc.publish(RPC_SUBJECTS.resolveCredential, codec.encode('{}'));
      await eventually(async () =>
        expect(refused).toEqual(
          expect.arrayContaining([
            { operation: 'subscription', subject: RPC_SUBJECTS.resolveCredential },
            { operation: 'subscription', subject: '_INBOX.gateway.>' },
            { operation: 'publish', subject: RPC_SUBJECTS.resolveCredential },
          ]),
        ),
      );
      const refusedSubjects = refused.map((refusal) => refusal.subject);
      for (const allowed of [
        EVENT_SUBJECTS.billingEntitlementsChanged,
        EVENT_SUBJECTS.billingActivity,
        RPC_SUBJECTS.getEntitlements,
        RPC_SUBJECTS.getMembership,
        RPC_SUBJECTS.countMembers,
      ]) {
        expect(refusedSubjects).not.toContain(allowed);
      }
      expect(organization.refused).toEqual([]);
      await eventually(async () =>
        expect(project.refused).toEqual([{ operation: 'publish', subject: RPC_SUBJECTS.countMembers }]),
      );
    } finally {
      await Promise.all([nc.close(), organization.nc.close(), project.nc.close()]);
    }
  }, 30_000);

  it('project, organization and identity keep entitlements through their own consumers and may ask billing; none may publish or answer them', async () => {
    const billing = await connectAs('billing');
    try {
      billing.nc.subscribe(RPC_SUBJECTS.getEntitlements, {
        queue: `rpc.${RPC_SUBJECTS.getEntitlements}`,
        callback: (_error, message) => message.respond(codec.encode(JSON.stringify({ found: false }))),
      });
      await billing.nc.flush();
      const changed = event(EVENT_SUBJECTS.billingEntitlementsChanged, { organizationId: 'o2' });
      const changedId = JSON.parse(codec.decode(changed)).id;
      await billing.nc.jetstream().publish(EVENT_SUBJECTS.billingEntitlementsChanged, changed);
      for (const user of ['project', 'organization', 'identity'] as const) {
        const { nc, refused } = await connectAs(user);
        try {
          const durable = `${user}-entitlements`;
          const jsm = await nc.jetstreamManager({ timeout: 5000 });
          await jsm.consumers.info(STREAM, durable).catch(() =>
            jsm.consumers.add(STREAM, {
              durable_name: durable,
              ack_policy: AckPolicy.Explicit,
              deliver_policy: DeliverPolicy.All,
              filter_subject: 'events.billing.entitlements.>',
              ack_wait: nanos(5_000),
              max_ack_pending: 1,
            }),
          );
          // Not the billing activity: that is audit's to read.
          await expect(
            jsm.consumers.add(STREAM, {
              durable_name: durable,
              ack_policy: AckPolicy.Explicit,
              filter_subject: 'events.billing.>',
            }),
          ).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
          const consumer = await nc.jetstream().consumers.get(STREAM, durable);
          const seen: string[] = [];
          await eventually(async () => {
            for await (const message of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
              seen.push(JSON.parse(codec.decode(message.data)).id);
              expect(await message.ackAck()).toBe(true);
            }
            expect(seen).toContain(changedId);
          }, 15_000);
          const answer = await nc.request(RPC_SUBJECTS.getEntitlements, codec.encode('{"organizationId":"o2"}'));
          expect(JSON.parse(codec.decode(answer.data))).toEqual({ found: false });

          nc.publish(EVENT_SUBJECTS.billingEntitlementsChanged, changed);
          nc.subscribe(RPC_SUBJECTS.getEntitlements);
          await eventually(async () =>
            expect(refused).toEqual([
              {
                operation: 'publish',
                subject: `$JS.API.CONSUMER.CREATE.${STREAM}.${durable}.events.billing.>`,
              },
              { operation: 'publish', subject: EVENT_SUBJECTS.billingEntitlementsChanged },
              { operation: 'subscription', subject: RPC_SUBJECTS.getEntitlements },
            ]),
          );
        } finally {
          await nc.close();
        }
      }
      expect(billing.refused).toEqual([]);
    } finally {
      await billing.nc.close();
    }
  }, 60_000);

  it('the gateway hears identity’s read-only announcements and nothing of billing; audit records billing’s events', async () => {
    const gateway = await connectAs('gateway');
    const identity = await connectAs('identity');
    const billing = await connectAs('billing');
    const audit = await connectAs('audit');
    try {
      const heard: string[] = [];
      gateway.nc.subscribe(EVENT_SUBJECTS.organizationReadOnlyChanged, {
        callback: (_error, message) => heard.push(JSON.parse(codec.decode(message.data)).id),
      });
      // Billing's own event comes before identity stored it: purging on it would re-cache the old answer.
      gateway.nc.subscribe(EVENT_SUBJECTS.billingEntitlementsChanged);
      gateway.nc.subscribe(EVENT_SUBJECTS.billingActivity);
      gateway.nc.publish(RPC_SUBJECTS.getEntitlements, codec.encode('{}'));
      gateway.nc.publish(EVENT_SUBJECTS.billingEntitlementsChanged, codec.encode('{}'));
      gateway.nc.publish(EVENT_SUBJECTS.organizationReadOnlyChanged, codec.encode('{}'));
      await gateway.nc.flush();
      const readOnly = event(EVENT_SUBJECTS.organizationReadOnlyChanged, { organizationId: 'o3', readOnlyAfter: null });
      const readOnlyId = JSON.parse(codec.decode(readOnly)).id;
      const changed = event(EVENT_SUBJECTS.billingEntitlementsChanged, { organizationId: 'o3' });
      const changedId = JSON.parse(codec.decode(changed)).id;
      const activity = event(EVENT_SUBJECTS.billingActivity, { action: 'subscription.started' });
      const activityId = JSON.parse(codec.decode(activity)).id;
      expect((await identity.nc.jetstream().publish(EVENT_SUBJECTS.organizationReadOnlyChanged, readOnly)).stream).toBe(
        STREAM,
      );
      await billing.nc.jetstream().publish(EVENT_SUBJECTS.billingEntitlementsChanged, changed);
      await billing.nc.jetstream().publish(EVENT_SUBJECTS.billingActivity, activity);
      await eventually(async () => {
        expect(heard).toEqual([readOnlyId]);
        expect(gateway.refused).toEqual([
          { operation: 'subscription', subject: EVENT_SUBJECTS.billingEntitlementsChanged },
          { operation: 'subscription', subject: EVENT_SUBJECTS.billingActivity },
          { operation: 'publish', subject: RPC_SUBJECTS.getEntitlements },
          { operation: 'publish', subject: EVENT_SUBJECTS.billingEntitlementsChanged },
          { operation: 'publish', subject: EVENT_SUBJECTS.organizationReadOnlyChanged },
        ]);
      });
      expect(identity.refused).toEqual([]);

      const records = await audit.nc.jetstream().consumers.get(STREAM, 'audit-records');
      const audited: string[] = [];
      await eventually(async () => {
        for await (const message of await records.fetch({ max_messages: 100, expires: 1000 })) {
          audited.push(JSON.parse(codec.decode(message.data)).id);
          expect(await message.ackAck()).toBe(true);
        }
        expect(audited).toEqual(expect.arrayContaining([changedId, activityId]));
      }, 15_000);
      // Audit answers no entitlement look-up and forges no billing event.
      audit.nc.subscribe(RPC_SUBJECTS.getEntitlements);
      audit.nc.publish(EVENT_SUBJECTS.billingEntitlementsChanged, changed);
      await eventually(async () =>
        expect(audit.refused).toEqual([
          { operation: 'subscription', subject: RPC_SUBJECTS.getEntitlements },
          { operation: 'publish', subject: EVENT_SUBJECTS.billingEntitlementsChanged },
        ]),
      );
      expect(billing.refused).toEqual([]);
    } finally {
      await Promise.all([gateway.nc.close(), identity.nc.close(), billing.nc.close(), audit.nc.close()]);
    }
  }, 30_000);
});
