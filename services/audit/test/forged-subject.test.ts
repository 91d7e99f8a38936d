import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditHarness, startAudit } from './harness.js';

/**
 * NATS permissions cover subjects, not the envelope's `type`: identity may publish under events.identity.>, so
 * an envelope typed as a project event but published there must not be taken for one (service-kit consumer).
 */
let audit: AuditHarness;
beforeAll(async () => {
  audit = await startAudit();
});
afterAll(() => audit.close());

const codec = StringCodec();
const organizationId = newId();
const activity = (name: string) => ({
  action: 'project.deleted',
  organizationId,
  userId: null,
  target: { type: 'project', id: newId(), name },
  outcome: 'success' as const,
});

async function projectRecords(): Promise<string[]> {
  const rows = await audit.service.deps.orm.em
    .fork()
    .execute<Array<{ target_name: string }>>(
      "select target_name from audit_records where organization_id = ? and action = 'project.deleted' order by sequence",
      [organizationId],
    );
  return rows.map((row) => row.target_name);
}

describe('an envelope whose type is not the subject it came on', () => {
  it('is parked unhandled, and the stream goes on', async () => {
    const { messaging } = audit.service.deps;
    const id = newId();
    const forged = {
      id,
      type: EVENT_SUBJECTS.projectActivity,
      occurredAt: new Date().toISOString(),
      version: 1,
      data: activity('forged by identity'),
    };
    await messaging.js.publish(
      messaging.subject(EVENT_SUBJECTS.identityActivity),
      codec.encode(JSON.stringify(forged)),
      {
        msgID: id,
      },
    );
    await audit.publish(EVENT_SUBJECTS.projectActivity, activity('genuine'));
    await eventually(async () => expect(await projectRecords()).toEqual(['genuine']), 15_000);
  });

  it('keeps an action in the log the catalogue names: the gateway cannot write into an organization', async () => {
    const victim = newId();
    await audit.publish(EVENT_SUBJECTS.gatewayActivity, {
      action: 'api_key.denied',
      organizationId: victim,
      userId: newId(),
      target: { type: 'api_key', id: 'ak_forged' },
      outcome: 'failure',
      reason: 'missing_scope',
    });
    await audit.publish(EVENT_SUBJECTS.projectActivity, activity('after the forgery'));
    await eventually(async () => expect(await projectRecords()).toEqual(['genuine', 'after the forgery']), 15_000);
    const [row] = await audit.service.deps.orm.em
      .fork()
      .execute<Array<{ n: number }>>('select count(*)::int as n from audit_records where organization_id = ?', [
        victim,
      ]);
    expect(row?.n).toBe(0);
  });
});
