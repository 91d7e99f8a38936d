import { newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecordRow } from '../src/records/entities.js';
import { recordHash } from '../src/records/hash.js';
import { verifyChain } from '../src/records/verify.js';
import { type AuditHarness, startAudit } from './harness.js';
import { addMember, get, logUrl, orgDraft, personPrincipal, seedMany, sql } from './logs-fixtures.js';

describe('verifying an organization log', () => {
  let h: AuditHarness;
  let organizationId: string;
  let rows: AuditRecordRow[];
  const owner = personPrincipal();
  const member = personPrincipal();

  beforeAll(async () => {
    h = await startAudit();
  });
  afterAll(() => h.close());

  // A fresh organization per test: each one tampers with its log differently.
  beforeEach(async () => {
    organizationId = newId();
    await addMember(h, organizationId, owner.userId, 'owner');
    await addMember(h, organizationId, member.userId, 'member');
    rows = await seedMany(
      h,
      Array.from({ length: 12 }, (_, index) =>
        orgDraft(organizationId, owner.userId, {
          changes: { name: { before: `old ${index}`, after: `new ${index}` } },
        }),
      ),
    );
  });

  const verify = async () => {
    const res = await get(h, owner, logUrl(organizationId, '/verify'));
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data;
  };

  it('reports an untouched chain intact, every record checked, no anchor', async () => {
    expect(await verify()).toEqual({ intact: true, checked: 12, firstBroken: null, anchor: null });
  });

  it('is for owners only', async () => {
    const res = await get(h, member, logUrl(organizationId, '/verify'));
    expect(res.statusCode, res.body).toBe(403);
  });

  it('reports a row whose field was edited in the database as hash_mismatch at that row', async () => {
    const edited = rows[4]!;
    await sql(h, "update audit_records set ip = '10.0.0.1' where id = ?", [edited.id]);
    expect(await verify()).toEqual({
      intact: false,
      checked: 5,
      firstBroken: { id: edited.id, sequence: 5, reason: 'hash_mismatch' },
      anchor: null,
    });
  });

  it('catches an edit inside changes (jsonb) too', async () => {
    const edited = rows[7]!;
    await sql(h, `update audit_records set changes = '{"name": {"before": "x", "after": "y"}}' where id = ?`, [
      edited.id,
    ]);
    expect((await verify()).firstBroken).toEqual({ id: edited.id, sequence: 8, reason: 'hash_mismatch' });
  });

  it('reports a row deleted in the middle as sequence_gap at the row after it', async () => {
    await sql(h, 'delete from audit_records where id = ?', [rows[5]!.id]);
    expect((await verify()).firstBroken).toEqual({ id: rows[6]!.id, sequence: 7, reason: 'sequence_gap' });
  });

  it('reports a deletion hidden by renumbering as link_mismatch at the row after the gap', async () => {
    // Remove sequence 6 and shift the later ones down: the sequences run on, the links do not.
    await sql(h, 'delete from audit_records where id = ?', [rows[5]!.id]);
    await sql(h, 'update audit_records set sequence = sequence + 1000 where chain_key = ? and sequence > 6', [
      `org:${organizationId}`,
    ]);
    await sql(h, 'update audit_records set sequence = sequence - 1001 where chain_key = ? and sequence > 1000', [
      `org:${organizationId}`,
    ]);
    expect((await verify()).firstBroken).toEqual({ id: rows[6]!.id, sequence: 6, reason: 'link_mismatch' });
  });

  it('reports a record rewritten with a recomputed hash as link_mismatch at the next one', async () => {
    const forged = { ...rows[2]!, targetName: 'forged' };
    await sql(h, 'update audit_records set target_name = ?, hash = ? where id = ?', [
      forged.targetName,
      recordHash(forged.previousHash, forged),
      forged.id,
    ]);
    expect((await verify()).firstBroken).toEqual({ id: rows[3]!.id, sequence: 4, reason: 'link_mismatch' });
  });

  it('reports records missing at the tail as sequence_gap at the last one left', async () => {
    await sql(h, 'delete from audit_records where id in (?, ?)', [rows[10]!.id, rows[11]!.id]);
    expect(await verify()).toEqual({
      intact: false,
      checked: 10,
      firstBroken: { id: rows[9]!.id, sequence: 10, reason: 'sequence_gap' },
      anchor: null,
    });
  });

  it('reports a log emptied after its anchor as broken with no record to name', async () => {
    await sql(h, 'delete from audit_records where chain_key = ?', [`org:${organizationId}`]);
    expect(await verify()).toEqual({ intact: false, checked: 0, firstBroken: null, anchor: null });
  });

  it('reports records whose chain head was deleted as link_mismatch at the first record', async () => {
    await sql(h, 'delete from audit_chains where chain_key = ?', [`org:${organizationId}`]);
    expect(await verify()).toEqual({
      intact: false,
      checked: 1,
      firstBroken: { id: rows[0]!.id, sequence: 1, reason: 'link_mismatch' },
      anchor: null,
    });
  });

  it('answers an organization without records intact, nothing checked', async () => {
    const empty = newId();
    await addMember(h, empty, owner.userId, 'owner');
    const res = await get(h, owner, logUrl(empty, '/verify'));
    expect(res.json().data).toEqual({ intact: true, checked: 0, firstBroken: null, anchor: null });
  });

  it('walks a chain longer than one batch', async () => {
    const more = await seedMany(
      h,
      Array.from({ length: 1100 }, () => orgDraft(organizationId, owner.userId)),
    );
    expect(await verifyChain(h.service.deps.orm.em, `org:${organizationId}`)).toMatchObject({
      intact: true,
      checked: 1112,
    });
    await sql(h, "update audit_records set action = 'project.deleted' where id = ?", [more[1050]!.id]);
    expect((await verifyChain(h.service.deps.orm.em, `org:${organizationId}`)).firstBroken).toEqual({
      id: more[1050]!.id,
      sequence: 1063,
      reason: 'hash_mismatch',
    });
  });
});
