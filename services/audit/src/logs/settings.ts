import type { EntityManager } from '@mikro-orm/postgresql';
import { type AuditContext, commit, readEm } from '../context.js';
import { journalLogAction } from './service.js';

/** The organization's retention: its own choice, or the service default when it never made one. */
export async function retentionDaysOf(em: EntityManager, ctx: AuditContext, organizationId: string): Promise<number> {
  const rows: Array<{ retention_days: number }> = await em.execute(
    'select retention_days from audit_settings where organization_id = ?',
    [organizationId],
  );
  return rows[0]?.retention_days ?? ctx.config.AUDIT_RETENTION_DAYS;
}

export async function getAuditSettings(ctx: AuditContext, organizationId: string) {
  return { retentionDays: await retentionDaysOf(readEm(ctx), ctx, organizationId) };
}

/** Changes the retention and records the change in the organization's log, in one transaction. */
export async function updateAuditSettings(ctx: AuditContext, organizationId: string, retentionDays: number) {
  return commit(ctx, async (em) => {
    // The row lock orders concurrent updates, so each record's `before` is the value it replaced.
    await em.execute(
      `insert into audit_settings (organization_id, retention_days, updated_at) values (?, ?, now())
        on conflict (organization_id) do nothing`,
      [organizationId, ctx.config.AUDIT_RETENTION_DAYS],
    );
    const [current] = await em.execute<Array<{ retention_days: number }>>(
      'select retention_days from audit_settings where organization_id = ? for update',
      [organizationId],
    );
    const before = current?.retention_days ?? ctx.config.AUDIT_RETENTION_DAYS;
    await em.execute('update audit_settings set retention_days = ?, updated_at = now() where organization_id = ?', [
      retentionDays,
      organizationId,
    ]);
    if (before !== retentionDays) {
      await journalLogAction(em, organizationId, 'audit_log.retention_updated', {
        retentionDays: { before, after: retentionDays },
      });
    }
    return { retentionDays };
  });
}
