import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecord, type RecordDraft } from '../src/records/append.js';
import { type AuditRecordRow, RECORD_COLUMNS } from '../src/records/entities.js';
import { GENESIS_HASH, recordHash } from '../src/records/hash.js';
import { rowOf } from '../src/records/rows.js';
import { type AuditHarness, startAudit } from './harness.js';

let audit: AuditHarness;
beforeAll(async () => {
  audit = await startAudit();
});
afterAll(() => audit.close());

const S = EVENT_SUBJECTS;

async function chainOf(chainKey: string): Promise<AuditRecordRow[]> {
  const rows = (await audit.service.deps.orm.em
    .fork()
    .execute(`select ${RECORD_COLUMNS} from audit_records where chain_key = ? order by sequence`, [
      chainKey,
    ])) as Record<string, unknown>[];
  return rows.map(rowOf);
}

async function headOf(chainKey: string) {
  const rows = (await audit.service.deps.orm.em
    .fork()
    .execute('select last_sequence, last_hash, anchor_sequence, anchor_hash from audit_chains where chain_key = ?', [
      chainKey,
    ])) as { last_sequence: string; last_hash: string; anchor_sequence: string; anchor_hash: string }[];
  return rows[0];
}

/** Sequences 1…n with no gap, each record linked to the one before, every hash recomputed from what was stored. */
async function expectIntactChain(chainKey: string, length: number): Promise<AuditRecordRow[]> {
  const records = await chainOf(chainKey);
  expect(records.map((record) => record.sequence)).toEqual(Array.from({ length }, (_, index) => index + 1));
  let previousHash = GENESIS_HASH;
  for (const record of records) {
    expect(record.previousHash).toBe(previousHash);
    expect(recordHash(record.previousHash, record)).toBe(record.hash);
    previousHash = record.hash;
  }
  const head = await headOf(chainKey);
  expect(head).toMatchObject({ last_sequence: String(length), last_hash: previousHash });
  expect(head?.anchor_hash).toBe(GENESIS_HASH);
  return records;
}

const revoked = (userId: string) => ({ kind: 'session' as const, id: newId(), userId });
const draftFor = (organizationId: string, overrides: Partial<RecordDraft> = {}): RecordDraft => ({
  log: { organizationId },
  action: 'project.updated',
  actor: { type: 'user', id: newId() },
  target: { type: 'project', id: newId(), name: 'Project' },
  ...overrides,
});

function inTransaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
  return audit.service.deps.orm.em.fork().transactional(work);
}

describe('hash chains from events', () => {
  it('keeps two interleaved logs as separate chains, each consecutive and recomputable', async () => {
    const [alice, bob] = [newId(), newId()];
    for (let index = 0; index < 6; index += 1) {
      await audit.publish(S.credentialRevoked, revoked(alice), { ip: '203.0.113.1', requestId: `r${index}` });
      await audit.publish(S.credentialRevoked, revoked(bob));
    }
    await eventually(async () => expect(await chainOf(`user:${bob}`)).toHaveLength(6));
    const aliceRecords = await expectIntactChain(`user:${alice}`, 6);
    await expectIntactChain(`user:${bob}`, 6);
    expect(aliceRecords.map((record) => record.requestId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('turns 200 events published at once into 200 consecutive records', async () => {
    const organizationId = newId();
    const userId = newId();
    const published = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        audit.publish(S.memberRoleChanged, {
          organizationId,
          userId,
          role: index % 2 ? 'admin' : 'member',
          previousRole: index % 2 ? 'member' : 'admin',
        }),
      ),
    );
    await eventually(async () => expect(await chainOf(`org:${organizationId}`)).toHaveLength(200), 30_000, 100);
    const records = await expectIntactChain(`org:${organizationId}`, 200);
    expect(new Set(records.map((record) => record.eventId))).toEqual(new Set(published.map((event) => event.id)));
  });
});

describe('appendRecord', () => {
  it('gives concurrent transactions on one log consecutive sequences (the head is locked)', async () => {
    const organizationId = newId();
    await Promise.all(
      Array.from({ length: 20 }, () => inTransaction((em) => appendRecord(em, draftFor(organizationId)))),
    );
    await expectIntactChain(`org:${organizationId}`, 20);
  });

  it('leaves no trace of a transaction that rolled back', async () => {
    const organizationId = newId();
    await inTransaction((em) => appendRecord(em, draftFor(organizationId)));
    await expect(
      inTransaction(async (em) => {
        await appendRecord(em, draftFor(organizationId));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await inTransaction((em) => appendRecord(em, draftFor(organizationId)));
    await expectIntactChain(`org:${organizationId}`, 2);
  });

  it('names the person behind a user actor, cuts text to its columns and stores what it hashed', async () => {
    const organizationId = newId();
    const userId = newId();
    const returned = await inTransaction((em) =>
      appendRecord(
        em,
        draftFor(organizationId, {
          actor: { type: 'user', id: userId, name: `${'n'.repeat(199)}😀` },
          target: { type: 'project', id: newId(), name: `bad\u0000name\uD800 ${'x'.repeat(400)}` },
          userAgent: 'u'.repeat(600),
          reason: 'r'.repeat(100),
          ip: '2001:db8::1',
          requestId: 'q'.repeat(200),
          occurredAt: new Date('2026-12-01T10:00:00.123Z'),
        }),
      ),
    );
    const [stored] = await expectIntactChain(`org:${organizationId}`, 1);
    expect(stored).toEqual(returned);
    expect(stored).toMatchObject({ actorUserId: userId, ip: '2001:db8::1', eventId: null });
    expect(stored?.actorName).toBe('n'.repeat(199));
    expect(stored?.targetName?.startsWith('badname\uFFFD x')).toBe(true);
    expect(stored?.targetName).toHaveLength(300);
    expect(stored?.userAgent).toHaveLength(512);
    expect(stored?.reason).toHaveLength(64);
    expect(stored?.requestId).toHaveLength(128);
    expect(stored?.occurredAt.toISOString()).toBe('2026-12-01T10:00:00.123Z');
  });

  it('stores changes as plain JSON with secret fields redacted, and an empty change set as none', async () => {
    const organizationId = newId();
    const changes = {
      url: { before: 'https://a.example', after: 'https://b.example' },
      clientSecret: { before: 'old-secret', after: 'new-secret' },
      password: { after: 'hunter2' },
      expiresAt: { after: new Date('2027-01-01T00:00:00.000Z') },
      nested: { after: { b: [1, 'two', null], a: true } },
    };
    const record = await inTransaction((em) => appendRecord(em, draftFor(organizationId, { changes })));
    await inTransaction((em) => appendRecord(em, draftFor(organizationId, { changes: {} })));
    const [stored, empty] = await expectIntactChain(`org:${organizationId}`, 2);
    expect(stored?.changes).toEqual({
      url: changes.url,
      clientSecret: { before: '[redacted]', after: '[redacted]' },
      password: { after: '[redacted]' },
      expiresAt: { after: '2027-01-01T00:00:00.000Z' },
      nested: { after: { a: true, b: [1, 'two', null] } },
    });
    expect(record.changes).toEqual(stored?.changes);
    expect(JSON.stringify(stored)).not.toContain('hunter2');
    expect(empty?.changes).toBeNull();
  });

  it('keeps no person for an actor whose user id is no id (never a cut one naming someone else)', async () => {
    const organizationId = newId();
    const actor = { type: 'api_key' as const, id: `ak_${newId()}`, userId: `${newId()}X` };
    const record = await inTransaction((em) => appendRecord(em, draftFor(organizationId, { actor })));
    expect(record).toMatchObject({ actorType: 'api_key', actorId: actor.id, actorUserId: null });
    await expectIntactChain(`org:${organizationId}`, 1);
  });

  it('refuses a log id that is no id rather than cut it into another log', async () => {
    await expect(inTransaction((em) => appendRecord(em, draftFor(`${newId()}X`)))).rejects.toThrow(
      'log id does not fit',
    );
  });
});
