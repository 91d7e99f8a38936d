import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditHarness, startAudit } from './harness.js';

let audit: AuditHarness;
beforeAll(async () => {
  audit = await startAudit();
});
afterAll(() => audit.close());

const count = async (sql: string, organizationId: string) => {
  const [row] = await audit.service.deps.orm.em.fork().execute<Array<{ n: number }>>(sql, [organizationId]);
  return row?.n ?? 0;
};

describe('a deleted organization', () => {
  it('takes its webhook endpoints and settings with it, and leaves its records', async () => {
    const organizationId = newId();
    const em = audit.service.deps.orm.em.fork();
    await em.execute(
      `insert into webhooks (id, organization_id, url, events, secret_sealed, secret_start, created_at, updated_at)
       values (?, ?, 'https://hooks.example.com/x', '["*"]', 'sealed', 'whsec_x', now(), now())`,
      [newId(), organizationId],
    );
    await em.execute('insert into audit_settings (organization_id, retention_days, updated_at) values (?, 90, now())', [
      organizationId,
    ]);
    const organization = { organizationId, name: 'Gone Inc', slug: 'gone-inc' };
    await audit.publish(EVENT_SUBJECTS.organizationCreated, organization);
    await audit.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () => {
      expect(await count('select count(*)::int as n from webhooks where organization_id = ?', organizationId)).toBe(0);
      expect(
        await count('select count(*)::int as n from audit_settings where organization_id = ?', organizationId),
      ).toBe(0);
    }, 15_000);
    await eventually(async () =>
      expect(
        await count('select count(*)::int as n from audit_records where organization_id = ?', organizationId),
      ).toBe(2),
    );
  });
});
