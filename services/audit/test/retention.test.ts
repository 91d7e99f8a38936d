import { newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditContext } from '../src/context.js';
import type { RecordDraft } from '../src/records/append.js';
import { verifyChain } from '../src/records/verify.js';
import { AuditRetention, RETENTION_LOCK } from '../src/retention/sweeper.js';
import { type AuditHarness, startAudit } from './harness.js';
import { addMember, addPerson, get, logUrl, orgDraft, personPrincipal, put, seedMany, sql } from './logs-fixtures.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

describe('audit log retention', () => {
  let h: AuditHarness;
  let ctx: AuditContext;
  let retention: AuditRetention;
  const owner = personPrincipal();

  beforeAll(async () => {
    h = await startAudit({ AUDIT_RETENTION_DAYS: 30 });
    // The service's own sweeper runs hourly; the tests drive passes of their own (it needs only deps and config).
    ctx = { deps: h.service.deps, config: h.service.deps.config } as Partial<AuditContext> as AuditContext;
    retention = new AuditRetention(ctx);
  });
  afterAll(() => h.close());

  const aged = (organizationId: string, ages: number[]): RecordDraft[] =>
    ages.map((age) => orgDraft(organizationId, owner.userId, { occurredAt: daysAgo(age) }));
  const remaining = async (chainKey: string) =>
    (
      await sql<{ sequence: string }>(h, 'select sequence from audit_records where chain_key = ? order by sequence', [
        chainKey,
      ])
    ).map((row) => Number(row.sequence));

  it('prunes the expired prefix of a log, stops at the first record kept, and the chain still verifies', async () => {
    const organizationId = newId();
    const chainKey = `org:${organizationId}`;
    // The sixth is old again, but it follows a record still kept: only a prefix goes, or the chain would break.
    const rows = await seedMany(h, aged(organizationId, [90, 80, 40, 31, 5, 60, 1]));

    expect(await retention.sweep()).toBeGreaterThanOrEqual(4);
    expect(await remaining(chainKey)).toEqual([5, 6, 7]);
    expect(await verifyChain(h.service.deps.orm.em, chainKey)).toEqual({
      intact: true,
      checked: 3,
      firstBroken: null,
      anchor: { sequence: 4, hash: rows[3]!.hash },
    });

    // A second pass finds nothing more to do.
    await retention.sweep();
    expect(await remaining(chainKey)).toEqual([5, 6, 7]);
  });

  it("keeps an organization's records as long as its own setting says", async () => {
    const organizationId = newId();
    await addMember(h, organizationId, owner.userId, 'owner');
    const res = await put(h, owner, logUrl(organizationId, '/settings'), { retentionDays: 100 });
    expect(res.statusCode, res.body).toBe(200);
    await seedMany(h, aged(organizationId, [120, 90, 40]));
    await retention.sweep();
    // The settings change recorded itself first (sequence 1, now): the prefix starts with it, nothing expired.
    expect(await remaining(`org:${organizationId}`)).toEqual([1, 2, 3, 4]);

    const later = newId();
    await addMember(h, later, owner.userId, 'owner');
    await seedMany(h, aged(later, [120, 90, 40]));
    await put(h, owner, logUrl(later, '/settings'), { retentionDays: 100 });
    await retention.sweep();
    expect(await remaining(`org:${later}`)).toEqual([2, 3, 4]);
  });

  it('prunes account logs with the service default, in batches past one thousand', async () => {
    const userId = newId();
    const chainKey = `user:${userId}`;
    const drafts: RecordDraft[] = Array.from({ length: 1205 }, (_, index) => ({
      log: { userId },
      action: 'session.created',
      actor: { type: 'user', id: userId },
      target: { type: 'session', id: newId() },
      occurredAt: daysAgo(index < 1203 ? 45 : 2),
    }));
    const rows = await seedMany(h, drafts);
    await retention.sweep();
    expect(await remaining(chainKey)).toEqual([1204, 1205]);
    expect(await verifyChain(h.service.deps.orm.em, chainKey)).toEqual({
      intact: true,
      checked: 2,
      firstBroken: null,
      anchor: { sequence: 1203, hash: rows[1202]!.hash },
    });
  });

  it('sweeps on one replica at a time: a pass that finds the lock taken deletes nothing', async () => {
    const organizationId = newId();
    const chainKey = `org:${organizationId}`;
    await seedMany(h, aged(organizationId, [90, 80, 1]));
    // Another replica's pass, holding the lock in its transaction until the test lets it go.
    const other = h.service.deps.orm.em.fork();
    await other.begin();
    try {
      const [held] = await other.execute<Array<{ acquired: boolean }>>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as acquired',
        [RETENTION_LOCK],
      );
      expect(held?.acquired).toBe(true);
      expect(await retention.sweep()).toBe(0);
      expect(await remaining(chainKey)).toEqual([1, 2, 3]);
    } finally {
      await other.rollback();
    }
    expect(await retention.sweep()).toBeGreaterThanOrEqual(2);
    expect(await remaining(chainKey)).toEqual([3]);
  });

  it('stops between batches when asked to (a shutdown), and the next pass carries on where it stopped', async () => {
    const userId = newId();
    const chainKey = `user:${userId}`;
    const drafts: RecordDraft[] = Array.from({ length: 2500 }, () => ({
      log: { userId },
      action: 'session.created',
      actor: { type: 'user', id: userId },
      target: { type: 'session', id: newId() },
      occurredAt: daysAgo(45),
    }));
    const rows = await seedMany(h, drafts);

    // Stopped as soon as its pass starts, as on shutdown: the pump's pass sees it before its first batch.
    const pumped = new AuditRetention(ctx);
    pumped.start();
    await pumped.stop();
    expect((await remaining(chainKey)).length).toBe(2500);

    // Asked before the chain listing, before each chain and before each batch: stopped after the first batch.
    let asked = 0;
    expect(await retention.sweep(() => ++asked > 3)).toBe(1000);
    expect(await remaining(chainKey)).toHaveLength(1500);
    expect(await verifyChain(h.service.deps.orm.em, chainKey)).toMatchObject({
      intact: true,
      anchor: { sequence: 1000, hash: rows[999]!.hash },
    });

    expect(await retention.sweep()).toBe(1500);
    expect(await remaining(chainKey)).toEqual([]);
  });

  it('a pruned log still catches tampering after its anchor', async () => {
    const organizationId = newId();
    const chainKey = `org:${organizationId}`;
    const rows = await seedMany(h, aged(organizationId, [50, 45, 3, 2]));
    await retention.sweep();
    await sql(h, "update audit_records set actor_name = 'someone else' where id = ?", [rows[3]!.id]);
    expect(await verifyChain(h.service.deps.orm.em, chainKey)).toMatchObject({
      intact: false,
      firstBroken: { id: rows[3]!.id, sequence: 4, reason: 'hash_mismatch' },
      anchor: { sequence: 2, hash: rows[1]!.hash },
    });
  });
});

describe('audit log settings', () => {
  let h: AuditHarness;
  const organizationId = newId();
  const owner = personPrincipal();
  const member = personPrincipal();

  beforeAll(async () => {
    h = await startAudit({ AUDIT_RETENTION_DAYS: 365 });
    await addPerson(h, owner.userId, 'Ada Owner');
    await addMember(h, organizationId, owner.userId, 'owner');
    await addMember(h, organizationId, member.userId, 'member');
  });
  afterAll(() => h.close());

  const settingsUrl = () => logUrl(organizationId, '/settings');

  it('answers the service default until the organization chooses, then its choice', async () => {
    expect((await get(h, owner, settingsUrl())).json().data).toEqual({ retentionDays: 365 });
    const res = await put(h, owner, settingsUrl(), { retentionDays: 90 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toEqual({ retentionDays: 90 });
    expect((await get(h, owner, settingsUrl())).json().data).toEqual({ retentionDays: 90 });
  });

  it('records each change with before and after, and who made it', async () => {
    await put(h, owner, settingsUrl(), { retentionDays: 180 });
    const listed = await get(h, owner, logUrl(organizationId, '?action=audit_log.retention_updated'));
    expect(listed.json().data.map((record: { changes: unknown }) => record.changes)).toEqual([
      { retentionDays: { before: 90, after: 180 } },
      { retentionDays: { before: 365, after: 90 } },
    ]);
    // Who and from where: the request being served, the name as the people model knows the person.
    expect(listed.json().data[0]).toMatchObject({
      actor: { type: 'user', id: owner.userId, userId: owner.userId, name: 'Ada Owner' },
      target: { type: 'audit_log', id: organizationId },
      ip: '127.0.0.1',
      requestId: expect.any(String),
    });
  });

  it('refuses a retention out of range or not an integer, naming retentionDays', async () => {
    // Below a month (MIN_AUDIT_RETENTION_DAYS): shortening the log is how an intruder would hide.
    for (const retentionDays of [0, 29, 3651, '30', 30.5, null]) {
      const res = await put(h, owner, settingsUrl(), { retentionDays });
      expect(res.statusCode, `${retentionDays}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(JSON.stringify(res.json())).toContain('retentionDays');
    }
    expect((await get(h, owner, settingsUrl())).json().data).toEqual({ retentionDays: 180 });
  });

  it('is for owners only', async () => {
    expect((await get(h, member, settingsUrl())).statusCode).toBe(403);
    expect((await put(h, member, settingsUrl(), { retentionDays: 30 })).statusCode).toBe(403);
  });
});
