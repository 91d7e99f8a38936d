import { newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDueHeads } from '../src/deliveries/claims.js';
import { deliveriesOf, insertWebhook, sleep, TestReceiver } from './deliveries-support.js';
import { type AuditHarness, startAudit } from './harness.js';

const SLOW_ANSWER_MS = 1500;

/** Queues `count` messages for each endpoint, due now, all in the caller's transaction. */
async function queueAll(em: EntityManager, webhookIds: readonly string[], count: number): Promise<void> {
  for (let seq = 1; seq <= count; seq += 1) {
    for (const webhookId of webhookIds) {
      const payload = { type: 'member.added', timestamp: new Date().toISOString(), data: { seq } };
      await em.execute(
        `insert into webhook_deliveries (id, webhook_id, message_id, event_type, record_id, payload, status,
           attempts, next_attempt_at, attempt_log, created_at)
         values (?, ?, ?, 'member.added', null, ?::jsonb, 'pending', 0, now(), '[]'::jsonb, now())`,
        [newId(), webhookId, `msg_${newId()}`, JSON.stringify(payload)],
      );
    }
  }
}

/** An endpoint row written in the caller's transaction (never committed: the worker cannot see it). */
async function insertEndpoint(em: EntityManager, organizationId: string): Promise<string> {
  const id = newId();
  await em.execute(
    `insert into webhooks (id, organization_id, url, events, enabled, secret_sealed, secret_start, created_at,
       updated_at)
     values (?, ?, 'https://hooks.example.test/', '["*"]'::jsonb, true, 'unused', 'whsec_unused', now(), now())`,
    [id, organizationId],
  );
  return id;
}

describe('webhook deliveries shared fairly across organizations', () => {
  let audit: AuditHarness;
  const receiver = new TestReceiver();

  beforeAll(async () => {
    // Three slots per replica, at most two of them for one organization.
    audit = await startAudit({ WEBHOOK_CONCURRENCY: 3, WEBHOOK_ORGANIZATION_CONCURRENCY: 2 });
    await receiver.start();
  });
  afterAll(async () => {
    await audit.close();
    await receiver.stop();
  });

  it('claims heads round-robin across organizations, within each one’s cap', async () => {
    const [orgA, orgB, orgC] = [newId(), newId(), newId()];
    const em = audit.service.deps.orm.em.fork();
    await em.begin();
    try {
      const a = [await insertEndpoint(em, orgA), await insertEndpoint(em, orgA), await insertEndpoint(em, orgA)];
      const b = await insertEndpoint(em, orgB);
      const c = await insertEndpoint(em, orgC);
      // Organization A queued first: by age alone its three heads would take every slot.
      await queueAll(em, a, 2);
      await queueAll(em, [b, c], 1);
      const claim = (inFlight: Map<string, number>) =>
        claimDueHeads(em, { limit: 3, leaseMs: 60_000, perOrganization: 2, inFlight });

      const first = await claim(new Map());
      expect(first.map((claimed) => claimed.webhook.organizationId).sort()).toEqual([orgA, orgB, orgC].sort());
      // A's other two heads are still due, but two of A's endpoints in flight is its cap.
      const second = await claim(new Map([[orgA, 2]]));
      expect(second).toEqual([]);
      const third = await claim(new Map([[orgA, 1]]));
      expect(third.map((claimed) => claimed.webhook.id)).toHaveLength(1);
      expect(a).toContain(third[0]!.webhook.id);
    } finally {
      await em.rollback();
    }
  });

  it('delivers another organization’s message while one with slow endpoints still has a backlog', async () => {
    const slowA = Array.from({ length: 4 }, (_, n) => `/hooks/slow-a${n}`);
    let inFlightA = 0;
    let mostInFlightA = 0;
    receiver.respond = async (request, response) => {
      if (request.path.startsWith('/hooks/slow-a')) {
        inFlightA += 1;
        mostInFlightA = Math.max(mostInFlightA, inFlightA);
        await sleep(SLOW_ANSWER_MS);
        inFlightA -= 1;
      }
      response.writeHead(204).end();
    };
    const [orgA, orgB] = [newId(), newId()];
    const endpointsA = await Promise.all(
      slowA.map((path) => insertWebhook(audit, receiver.url(path), { organizationId: orgA })),
    );
    const endpointB = await insertWebhook(audit, receiver.url('/hooks/fast-b'), { organizationId: orgB });
    // A's backlog is older than B's message, and both are visible to the worker in the same pass.
    await audit.service.deps.orm.em.fork().transactional(async (em) => {
      await queueAll(
        em,
        endpointsA.map((endpoint) => endpoint.id),
        3,
      );
      await queueAll(em, [endpointB.id], 1);
    });

    await eventually(async () => {
      expect(receiver.sequenceAt('/hooks/fast-b')).toEqual([1]);
    }, 10_000);
    const arrivedBeforeB = receiver.requests
      .slice(
        0,
        receiver.requests.findIndex((request) => request.path === '/hooks/fast-b'),
      )
      .filter((request) => request.path.startsWith('/hooks/slow-a'));
    // B did not wait behind A: only A's first two messages (its cap) went out before it.
    expect(arrivedBeforeB.length).toBeLessThanOrEqual(2);
    const pendingA = await Promise.all(endpointsA.map((endpoint) => deliveriesOf(audit, endpoint.id)));
    expect(pendingA.flat().filter((row) => row.status === 'pending').length).toBeGreaterThanOrEqual(10);

    // A's backlog drains in the end, in order, never more than two of its endpoints at once.
    await eventually(async () => {
      const rows = await Promise.all(endpointsA.map((endpoint) => deliveriesOf(audit, endpoint.id)));
      expect(rows.flat().every((row) => row.status === 'succeeded')).toBe(true);
    }, 30_000);
    for (const path of slowA) expect(receiver.sequenceAt(path)).toEqual([1, 2, 3]);
    // A slow endpoint gives its slot back after each message: A's other endpoints got their first turn next.
    const firstFourA = receiver.requests.filter((request) => request.path.startsWith('/hooks/slow-a')).slice(0, 4);
    expect(new Set(firstFourA.map((request) => request.path)).size).toBe(4);
    expect(mostInFlightA).toBe(2);
  }, 45_000);
});
