import {
  type ActivityRecorded,
  EVENT_SUBJECTS,
  type EventEnvelope,
  newId,
  type ResolveCredentialReply,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit';
import { eventually, PrivateServer } from '@gatehouse/service-kit/testing';
import { connect, type JetStreamManager, type NatsConnection, StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { standaloneGatewayConfig } from './standalone.js';

/**
 * The gateway's security events end to end, on a private nats-server (so NATS can be stopped): a scripted
 * identity answers credential look-ups; nothing listens upstream (an admitted request ends in 502/503).
 */
const codec = StringCodec();
const nats = PrivateServer.nats();
const subject = EVENT_SUBJECTS.gatewayActivity;
let app: HttpApp;
let deps: GatewayDeps;
let nc: NatsConnection;
let jsm: JetStreamManager;
let prefix: string;
let stream: string;

interface Key {
  secret: string;
  id: string;
  userId: string;
}
const principals = new Map<string, { scopes: string[]; organizationId: string | null; id: string; userId: string }>();

/** A fresh API key identity will vouch for (so no test's throttle window touches another's). */
function apiKey(scopes: string[], organizationId: string | null = null): Key {
  const key = { secret: `gh_${newId()}`, id: `ak_${newId()}`, userId: `us_${newId()}` };
  principals.set(key.secret, { scopes, organizationId, id: key.id, userId: key.userId });
  return key;
}

function answerLookups(connection: NatsConnection): void {
  connection.subscribe(`${prefix}${RPC_SUBJECTS.resolveCredential}`, {
    callback: (_error, message) => {
      const { secret } = JSON.parse(codec.decode(message.data)) as { secret: string };
      const known = principals.get(secret);
      const reply: ResolveCredentialReply = known
        ? {
            ok: true,
            principal: {
              kind: 'api_key',
              userId: known.userId,
              credentialId: known.id,
              scopes: known.scopes,
              organizationId: known.organizationId,
              role: 'user',
              ttlSeconds: 30,
            },
          }
        : { ok: false, reason: 'INVALID_API_KEY' };
      message.respond(codec.encode(JSON.stringify(reply)));
    },
  });
}

beforeAll(async () => {
  await nats.start();
  const config = await standaloneGatewayConfig({
    NATS_URL: nats.url,
    IDENTITY_URL: 'http://127.0.0.1:9',
    PROJECT_URL: 'http://127.0.0.1:9',
    ACTIVITY_QUEUE_MAX: '2',
    RATE_LIMIT_CREDENTIAL_MAX: '60',
    RATE_LIMIT_API_KEY_CREATE_MAX: '1',
  });
  prefix = config.NATS_SUBJECT_PREFIX;
  stream = `T${newId()}`;
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${prefix}events.>`] });
  answerLookups(nc);
  await nc.flush();
  deps = await createGatewayDeps(config);
  app = await buildGateway(deps);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await deps?.close();
  await nc?.close();
  await nats.destroy();
});

const send = (key: Key, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  app.inject({
    method,
    url,
    headers: { 'x-api-key': key.secret, 'user-agent': 'activity-test/1.0' },
    remoteAddress: '198.51.100.7',
    ...(payload && { payload }),
  });
const createProject = (key: Key, organizationId = 'org_1') =>
  send(key, 'POST', `/api/user/organizations/${organizationId}/projects`, { name: 'Denied' });

/** Every gateway activity event on the stream, with its Nats-Msg-Id. */
async function eventsOnStream(): Promise<Array<{ msgId: string | undefined; event: EventEnvelope<typeof subject> }>> {
  const info = await jsm.streams.info(stream);
  const found = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message.subject !== `${prefix}${subject}`) continue;
    found.push({ msgId: message.header?.get('Nats-Msg-Id'), event: message.json<EventEnvelope<typeof subject>>() });
  }
  return found;
}
const eventsOf = async (credentialId: string) =>
  (await eventsOnStream()).filter(({ event }) =>
    [event.data.target.id, event.context?.actor?.id].includes(credentialId),
  );

async function metric(name: string, labels: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((row) => row.startsWith(`${name}{`) && row.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('api_key.denied', () => {
  it('records a key lacking the route’s scope as one event on the stream, with the request’s context', async () => {
    const key = apiKey(['user:read']);
    const answer = await createProject(key);
    expect(answer.statusCode).toBe(403);
    expect(answer.json().code).toBe('API_KEY_MISSING_SCOPES');

    const [recorded, ...more] = await eventually(async () => {
      const events = await eventsOf(key.id);
      expect(events).toHaveLength(1);
      return events;
    });
    expect(more).toEqual([]);
    const actor = { type: 'api_key' as const, id: key.id, userId: key.userId };
    expect(recorded?.msgId).toBe(recorded?.event.id);
    expect(recorded?.event).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      type: subject,
      occurredAt: expect.any(String),
      version: 1,
      requestId: answer.headers['x-request-id'],
      context: { actor, ip: '198.51.100.7', userAgent: 'activity-test/1.0', requestId: answer.headers['x-request-id'] },
      data: {
        action: 'api_key.denied',
        organizationId: null,
        userId: key.userId,
        target: { type: 'api_key', id: key.id },
        changes: {
          route: { after: 'createProject' },
          method: { after: 'POST' },
          path: { after: '/api/user/organizations/org_1/projects' },
        },
        outcome: 'failure',
        reason: 'missing_scope',
      } satisfies ActivityRecorded,
    });
  });

  it('names why: pinned to another organization, an account-wide route, no scopes', async () => {
    const pinned = apiKey(['projects:write', 'user:read'], 'org_mine');
    expect((await createProject(pinned, 'org_other')).statusCode).toBe(403);
    expect((await send(pinned, 'GET', '/api/user/sessions')).statusCode).toBe(403);
    const empty = apiKey([]);
    expect((await createProject(empty)).statusCode).toBe(403);
    await eventually(async () => {
      const reasons = [...(await eventsOf(pinned.id)), ...(await eventsOf(empty.id))].map(({ event }) => [
        event.data.target.id,
        event.data.reason,
      ]);
      expect(reasons.sort()).toEqual(
        [
          [pinned.id, 'account_wide'],
          [pinned.id, 'pinned_elsewhere'],
          [empty.id, 'no_scopes'],
        ].sort(),
      );
    });
  });

  it('records 50 refusals within a second as one event, and counts the 49 it suppressed', async () => {
    const key = apiKey(['user:read']);
    const suppressedBefore = await metric('gateway_activity_suppressed_total', 'action="api_key.denied"');
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => createProject(key)));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(50).fill(403));
    expect(await metric('gateway_activity_suppressed_total', 'action="api_key.denied"')).toBe(suppressedBefore + 49);
    await eventually(async () => expect(await eventsOf(key.id)).toHaveLength(1));
    // Nothing else is on its way: the queue is empty and still one event.
    await eventually(async () => expect(await metric('gateway_activity_queue_depth', '')).toBe(0));
    expect(await eventsOf(key.id)).toHaveLength(1);
  });
});

describe('rate_limit.exceeded', () => {
  it('records an account limit after resolution, named by the limit', async () => {
    const key = apiKey(['api-keys:write']);
    const body = { name: 'child', scopes: ['user:read'] };
    expect((await send(key, 'POST', '/api/auth/api-key/create', body)).statusCode).not.toBe(429);
    const refused = await send(key, 'POST', '/api/auth/api-key/create', body);
    expect(refused.statusCode).toBe(429);
    const [recorded] = await eventually(async () => {
      const events = await eventsOf(key.id);
      expect(events).toHaveLength(1);
      return events;
    });
    expect(recorded?.event.data).toMatchObject({
      action: 'rate_limit.exceeded',
      organizationId: null,
      userId: key.userId,
      target: { type: 'user', id: key.userId },
      outcome: 'failure',
      reason: 'apiKeyCreate',
      changes: { route: { after: 'createApiKey' }, method: { after: 'POST' } },
    });
    expect(recorded?.event.context?.requestId).toBe(refused.headers['x-request-id']);
  });

  it('records the per-credential limit (before resolution) only from what the cache already knows', async () => {
    const key = apiKey(['user:read']);
    const answers = [];
    for (let attempt = 0; attempt < 62; attempt++) answers.push((await send(key, 'GET', '/api/user/me')).statusCode);
    expect(answers.slice(0, 60)).not.toContain(429);
    expect(answers.slice(60)).toEqual([429, 429]);
    await eventually(async () => {
      const events = await eventsOf(key.id);
      expect(events.map(({ event }) => [event.data.action, event.data.reason])).toEqual([
        ['rate_limit.exceeded', 'credential'],
      ]);
    });
  });
});

describe('with NATS away', () => {
  it('answers at once, keeps only the newest events up to the queue’s size, counts the dropped, publishes the rest on its return', async () => {
    const keys = Array.from({ length: 4 }, () => apiKey(['user:read']));
    // Resolved (and cached) while NATS is there, so the refusals below need no look-up.
    for (const key of keys) expect((await send(key, 'GET', '/api/user/me')).statusCode).not.toBe(403);
    const droppedBefore = await metric('gateway_activity_dropped_total', 'reason="queue_full"');
    await nats.stop();
    try {
      for (const key of keys) {
        const started = Date.now();
        expect((await createProject(key)).statusCode).toBe(403);
        expect(Date.now() - started).toBeLessThan(250);
      }
      expect(await metric('gateway_activity_dropped_total', 'reason="queue_full"')).toBe(droppedBefore + 2);
      expect(await metric('gateway_activity_queue_depth', '')).toBe(2);
    } finally {
      await nats.start();
    }
    await eventually(
      async () => {
        const seen = await Promise.all(keys.map(async (key) => (await eventsOf(key.id)).length));
        expect(seen).toEqual([0, 0, 1, 1]);
      },
      15_000,
      200,
    );
  }, 30_000);
});
