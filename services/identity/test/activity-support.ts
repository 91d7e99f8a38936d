import {
  type AuthenticatedPrincipal,
  type EventEnvelope,
  newId,
  type Principal,
  TOKEN_SCOPES,
} from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { expect } from 'vitest';
import type { IdentityHarness } from './harness.js';

/** What the activity suites share: a signed request with a known ip and user agent, people, outbox reads. */
export const CLIENT = { clientIp: '203.0.113.7', userAgent: 'ActivitySuite/1.0' };
export const PASSWORD = 'a-long-secure-passphrase';

export type ActivityEvent = EventEnvelope<'events.identity.activity.recorded'>;

export function activitySuite(harness: () => IdentityHarness) {
  // biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
  const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
    harness().service.deps.orm.em.fork().execute(query, params);

  /** A request as the gateway forwards it, the principal signed with the suite's ip and user agent. */
  async function call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    as: Principal,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const requestId = newId();
    const token = await harness().service.signer.sign({ principal: as, ...CLIENT });
    const res = await harness().service.app.inject({
      method,
      url,
      headers: {
        'x-gatehouse-principal': token,
        'x-request-id': requestId,
        'user-agent': CLIENT.userAgent,
        ...headers,
      },
      ...(body !== undefined && { payload: body as object }),
    });
    return Object.assign(res, { requestId });
  }

  /** An account made through sign-up, verified so nothing else (address proof) runs on it later. */
  async function signUp(): Promise<{ id: string; email: string }> {
    const email = `activity-${newId().toLowerCase()}@example.com`;
    const res = await call(
      'POST',
      '/api/auth/sign-up/email',
      { kind: 'anonymous' },
      { email, password: PASSWORD, name: 'Ada' },
    );
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json().data.id as string;
    await sql('update users set is_verified = true where id = ?', [id]);
    return { id, email };
  }

  function sessionOf(userId: string): AuthenticatedPrincipal {
    return {
      kind: 'session',
      userId,
      credentialId: newId(),
      scopes: [...TOKEN_SCOPES],
      role: 'user',
      organizationId: null,
    };
  }

  /** A person in an organization of identity's read model. */
  async function member(organizationId: string, role: 'owner' | 'admin' | 'member' = 'owner') {
    const user = await signUp();
    await sql('insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)', [
      organizationId,
      user.id,
      role,
    ]);
    return { ...user, principal: sessionOf(user.id) };
  }

  /** The activity events recorded so far for this target, oldest first. */
  async function activities(where: { targetId?: string; userId?: string; action?: string }): Promise<ActivityEvent[]> {
    const rows = await sql(
      `select payload from outbox_events where subject = 'events.identity.activity.recorded'
         and (?::text is null or payload->'data'->'target'->>'id' = ?)
         and (?::text is null or payload->'data'->>'userId' = ?)
         and (?::text is null or payload->'data'->>'action' = ?)
       order by id`,
      [
        where.targetId ?? null,
        where.targetId ?? null,
        where.userId ?? null,
        where.userId ?? null,
        where.action ?? null,
        where.action ?? null,
      ],
    );
    return rows.map((row) => row.payload as ActivityEvent);
  }

  /** The one record of `action` on the target (waiting for what is recorded after the answer). */
  async function theRecord(action: string, where: { targetId?: string; userId?: string }): Promise<ActivityEvent> {
    return eventually(async () => {
      const found = await activities({ ...where, action });
      expect(found).toHaveLength(1);
      return found[0]!;
    });
  }

  return { sql, call, signUp, sessionOf, member, activities, theRecord };
}

/** The request context a signed principal gives every record. */
export function expectContext(event: ActivityEvent, requestId: string, actor?: { type: string; id: string }) {
  expect(event.context).toMatchObject({ ip: CLIENT.clientIp, userAgent: CLIENT.userAgent, requestId });
  expect(event.requestId).toBe(requestId);
  if (actor) expect(event.context?.actor).toMatchObject(actor);
}
