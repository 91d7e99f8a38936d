import {
  billingPageUrl,
  type EntitlementsChanged,
  EVENT_SUBJECTS,
  type EventDataBySubject,
  type EventSubject,
  newId,
  type ResolveCredentialReply,
  type ResolveCredentialRequest,
  RPC_SUBJECTS,
  TOKEN_SCOPES,
} from '@gatehouse/contracts';
import { requestRpc } from '@gatehouse/service-kit';
import { eventually, publishTestEvent } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

const PUBLIC_URL = 'http://localhost:8080';
const PASSWORD = 'a-long-secure-passphrase';
/** Long enough that only a read-only deadline can be what shortens the cache lifetime. */
const CACHE_SECONDS = 3600;

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity({ CREDENTIAL_CACHE_SECONDS: CACHE_SECONDS });
});
afterAll(async () => {
  await h?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  h.service.deps.orm.em.fork().execute(query, params);

/** An event as another service publishes it, onto this namespace's stream. */
async function publish<S extends EventSubject>(type: S, data: EventDataBySubject[S]): Promise<void> {
  await publishTestEvent(h.service.deps.messaging, type, data);
}

/** What billing publishes: `readOnlyAfter` null (paid), in the past (read-only) or ahead (in its grace period). */
function entitlementsOf(organizationId: string, revision: number, readOnlyAfter: Date | null): EntitlementsChanged {
  return {
    organizationId,
    revision,
    tierId: 'team',
    status: readOnlyAfter ? 'past_due' : 'active',
    entitlements: { maxProjects: 10, maxMembers: 10, ssoAllowed: true, auditRetentionDays: 90 },
    readOnlyAfter: readOnlyAfter?.toISOString() ?? null,
    upgradeUrl: billingPageUrl(PUBLIC_URL, organizationId),
  };
}

async function entitlementsArrived(organizationId: string, revision: number): Promise<void> {
  await eventually(async () => {
    const rows = await sql('select revision from organization_entitlements where organization_id = ?', [
      organizationId,
    ]);
    expect(Number(rows[0]?.revision)).toBe(revision);
  });
}

/** A signed-up person's session token (the cookie the gateway would present). */
async function signedInPerson(): Promise<{ userId: string; session: string }> {
  const email = `read-only-${newId().toLowerCase()}@example.com`;
  const anonymous = await h.service.as({ kind: 'anonymous' });
  const up = await h.service.app.inject({
    method: 'POST',
    url: '/api/auth/sign-up/email',
    payload: { email, password: PASSWORD, name: 'Ada' },
    headers: anonymous,
  });
  expect(up.statusCode, up.body).toBe(200);
  const signIn = await h.service.app.inject({
    method: 'POST',
    url: '/api/auth/sign-in/email',
    payload: { email, password: PASSWORD },
    headers: anonymous,
  });
  expect(signIn.statusCode, signIn.body).toBe(200);
  const session = /gatehouse_session=([^;]+)/.exec(String(signIn.headers['set-cookie']))?.[1];
  if (!session) throw new Error('no session cookie');
  return { userId: up.json().data.id, session };
}

async function memberOf(organizationId: string, userId: string): Promise<void> {
  await publish(EVENT_SUBJECTS.memberAdded, { organizationId, userId, role: 'owner' });
  await eventually(async () => {
    const rows = await sql('select 1 from user_memberships where organization_id = ? and user_id = ?', [
      organizationId,
      userId,
    ]);
    expect(rows).toHaveLength(1);
  });
}

/** The gateway's question, over NATS as the gateway asks it. */
async function resolveSession(session: string, kind: 'session' | 'api_key' = 'session') {
  const { messaging } = h.service.deps;
  const reply = await requestRpc<ResolveCredentialRequest, ResolveCredentialReply>(
    messaging.nc,
    messaging.subject(RPC_SUBJECTS.resolveCredential),
    { kind, secret: session },
  );
  if (!reply.ok || reply.principal.kind === 'scim') throw new Error(`not resolved: ${JSON.stringify(reply)}`);
  return reply.principal;
}

describe('identity: read-only organizations on the principal', () => {
  it('names an organization whose grace period has ended, with since and where to pay', async () => {
    const { userId, session } = await signedInPerson();
    const organizationId = newId();
    await memberOf(organizationId, userId);
    expect((await resolveSession(session)).readOnlyIn).toBeUndefined();

    const since = new Date(Date.now() - 60_000);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, since));
    await entitlementsArrived(organizationId, 1);
    const principal = await resolveSession(session);
    expect(principal.readOnlyIn).toEqual([
      { organizationId, since: since.toISOString(), upgradeUrl: `${PUBLIC_URL}/orgs/${organizationId}/billing` },
    ]);
    expect(principal.ttlSeconds).toBe(CACHE_SECONDS);
  });

  it('leaves out a deadline still ahead, and caches the answer no longer than until it passes', async () => {
    const { userId, session } = await signedInPerson();
    const soon = newId();
    const later = newId();
    await memberOf(soon, userId);
    await memberOf(later, userId);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(later, 1, new Date(Date.now() + 900_000)));
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(soon, 1, new Date(Date.now() + 300_000)));
    await entitlementsArrived(later, 1);
    await entitlementsArrived(soon, 1);

    const principal = await resolveSession(session);
    expect(principal.readOnlyIn).toBeUndefined();
    // The earlier of the two deadlines, not the cache's usual lifetime.
    expect(principal.ttlSeconds).toBeLessThanOrEqual(300);
    expect(principal.ttlSeconds).toBeGreaterThan(200);
  });

  it('drops the organization once a newer revision clears it, and an older one arriving late changes nothing', async () => {
    const { userId, session } = await signedInPerson();
    const organizationId = newId();
    await memberOf(organizationId, userId);
    const since = new Date(Date.now() - 60_000);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, since));
    await entitlementsArrived(organizationId, 1);
    expect((await resolveSession(session)).readOnlyIn).toHaveLength(1);

    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 2, null));
    await entitlementsArrived(organizationId, 2);
    expect((await resolveSession(session)).readOnlyIn).toBeUndefined();

    // The stale event, then a marker behind it: once the marker is in, the stale one was handled.
    const marker = newId();
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, since));
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(marker, 1, null));
    await entitlementsArrived(marker, 1);
    await entitlementsArrived(organizationId, 2);
    expect((await resolveSession(session)).readOnlyIn).toBeUndefined();
  });

  it('ignores read-only organizations the person does not belong to', async () => {
    const { userId, session } = await signedInPerson();
    const mine = newId();
    const theirs = newId();
    await memberOf(mine, userId);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(theirs, 1, new Date(Date.now() - 60_000)));
    await entitlementsArrived(theirs, 1);
    const principal = await resolveSession(session);
    expect(principal.readOnlyIn).toBeUndefined();
    expect(principal.ttlSeconds).toBe(CACHE_SECONDS);
  });

  it('tells a key pinned to one organization only about that one', async () => {
    const { userId, session } = await signedInPerson();
    const pinned = newId();
    const other = newId();
    await memberOf(pinned, userId);
    await memberOf(other, userId);
    const created = await h.service.app.inject({
      method: 'POST',
      url: '/api/auth/api-key/create',
      payload: { name: 'ci', scopes: ['projects:read'], metadata: { organizationId: pinned } },
      headers: await h.service.as({
        kind: 'session',
        userId,
        credentialId: newId(),
        scopes: [...TOKEN_SCOPES],
        role: 'user',
        organizationId: null,
      }),
    });
    expect(created.statusCode, created.body).toBe(200);
    const key = created.json().data.key as string;
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(other, 1, new Date(Date.now() - 60_000)));
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(pinned, 1, new Date(Date.now() + 300_000)));
    await entitlementsArrived(other, 1);
    await entitlementsArrived(pinned, 1);

    const keyPrincipal = await resolveSession(key, 'api_key');
    expect(keyPrincipal.readOnlyIn).toBeUndefined();
    expect(keyPrincipal.ttlSeconds).toBeLessThanOrEqual(300);
    // The person's session sees every organization of theirs.
    expect((await resolveSession(session)).readOnlyIn?.map((entry) => entry.organizationId)).toEqual([other]);
  });

  it('forgets a deleted organization’s plan', async () => {
    const { userId } = await signedInPerson();
    const organizationId = newId();
    await memberOf(organizationId, userId);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, new Date()));
    await entitlementsArrived(organizationId, 1);
    await publish(EVENT_SUBJECTS.organizationDeleted, { organizationId, name: 'Gone', slug: 'gone' });
    await eventually(async () => {
      expect(await sql('select 1 from organization_entitlements where organization_id = ?', [organizationId])).toEqual(
        [],
      );
    });
  });
});

/** The read-only announcements identity recorded for an organization (its outbox), oldest first. */
async function readOnlyAnnouncements(organizationId: string) {
  const rows = await sql(
    `select payload->'data' as data from outbox_events
      where subject = ? and payload->'data'->>'organizationId' = ? order by id`,
    [EVENT_SUBJECTS.organizationReadOnlyChanged, organizationId],
  );
  return rows.map((row) => row.data);
}

describe('identity: announcing read-only changes once stored', () => {
  it('records one announcement per change of the deadline, in the transaction that stores it', async () => {
    const organizationId = newId();
    const since = new Date(Date.now() - 60_000);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, since));
    await entitlementsArrived(organizationId, 1);
    expect(await readOnlyAnnouncements(organizationId)).toEqual([
      { organizationId, readOnlyAfter: since.toISOString() },
    ]);

    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 2, null));
    await entitlementsArrived(organizationId, 2);
    expect(await readOnlyAnnouncements(organizationId)).toEqual([
      { organizationId, readOnlyAfter: since.toISOString() },
      { organizationId, readOnlyAfter: null },
    ]);
  });

  it('records none when only the tier or limits change, nor for a new organization that is paid', async () => {
    const organizationId = newId();
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, null));
    await entitlementsArrived(organizationId, 1);
    const upgraded = entitlementsOf(organizationId, 2, null);
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, {
      ...upgraded,
      tierId: 'business',
      entitlements: { ...upgraded.entitlements, maxProjects: 50, maxMembers: null },
    });
    await entitlementsArrived(organizationId, 2);
    expect(await readOnlyAnnouncements(organizationId)).toEqual([]);
  });

  it('records none for an older revision arriving late', async () => {
    const organizationId = newId();
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 2, null));
    await entitlementsArrived(organizationId, 2);
    // The stale event, then a marker behind it: once the marker is in, the stale one was handled.
    const marker = newId();
    await publish(
      EVENT_SUBJECTS.billingEntitlementsChanged,
      entitlementsOf(organizationId, 1, new Date(Date.now() - 60_000)),
    );
    await publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(marker, 1, null));
    await entitlementsArrived(marker, 1);
    await entitlementsArrived(organizationId, 2);
    expect(await readOnlyAnnouncements(organizationId)).toEqual([]);
  });
});
