import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuditRecord, newId } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeCell } from '../src/logs/export.js';
import { type AuditHarness, startAudit } from './harness.js';
import { addMember, get, logUrl, orgDraft, personPrincipal, reverseIds, seed, seedBulk, sql } from './logs-fixtures.js';

type Record = Static<typeof AuditRecord>;

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes (doubled) and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (char !== '\r') cell += char;
  }
  if (cell || row.length > 0) rows.push([...row, cell]);
  return rows;
}

describe('audit log export', () => {
  let h: AuditHarness;
  const organizationId = newId();
  const owner = personPrincipal();
  const member = personPrincipal();

  beforeAll(async () => {
    h = await startAudit();
    await addMember(h, organizationId, owner.userId, 'owner');
    await addMember(h, organizationId, member.userId, 'member');
    await seed(h, [
      orgDraft(organizationId, owner.userId, { action: 'project.created' }),
      orgDraft(organizationId, member.userId, {
        action: 'project.updated',
        actor: { type: 'user', id: member.userId, name: '=HYPERLINK("http://evil.example","x")' },
        target: { type: 'project', id: newId(), name: '+SUM(A1:A2), "quoted"\nline' },
        changes: { name: { before: '@old', after: '-new' } },
        userAgent: '\tcurl',
      }),
      orgDraft(organizationId, owner.userId, { action: 'member.added', target: { type: 'member', id: member.userId } }),
    ]);
    // The export follows the chain, whatever the ids say.
    await reverseIds(h, `org:${organizationId}`);
  });
  afterAll(() => h.close());

  const exportOf = async (query: string, as = owner) => {
    const res = await h.service.app.inject({
      method: 'GET',
      url: logUrl(organizationId, `/export${query}`),
      headers: await h.service.as(as),
    });
    return res;
  };

  it('streams jsonl, oldest first by sequence, one record per line as the list shows it, the export itself last', async () => {
    const res = await exportOf('?format=jsonl');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="audit-log-${organizationId}.jsonl"`);
    const lines = res.body.trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record);
    expect(records.map((record) => record.action)).toEqual([
      'project.created',
      'project.updated',
      'member.added',
      'audit_log.exported',
    ]);
    expect(records.map((record) => record.sequence)).toEqual([1, 2, 3, 4]);
    const listed = await get(h, owner, logUrl(organizationId, '?limit=10'));
    expect(records.slice(0, 3).reverse()).toEqual(listed.json().data.slice(1));
  });

  it('records the export in the organization log: who, from where, format and filters', async () => {
    const res = await exportOf('?format=jsonl&action=project.*&q=evil');
    expect(res.statusCode).toBe(200);
    expect(
      res.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).action),
    ).toEqual(['project.updated']);
    const listed = await get(h, owner, logUrl(organizationId, '?action=audit_log.exported&limit=1'));
    expect(listed.json().data[0]).toMatchObject({
      action: 'audit_log.exported',
      actor: { type: 'user', id: owner.userId, userId: owner.userId },
      target: { type: 'audit_log', id: organizationId },
      changes: { format: { after: 'jsonl' }, filters: { after: { action: 'project.*', q: 'evil' } } },
      ip: '127.0.0.1',
    });
    expect(listed.json().data[0].requestId).toEqual(expect.any(String));
  });

  it('streams csv with a header row, changes as JSON, and formula cells defused', async () => {
    const res = await exportOf('?format=csv&action=project.*');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="audit-log-${organizationId}.csv"`);
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual([
      'id',
      'organizationId',
      'userId',
      'action',
      'actorType',
      'actorId',
      'actorUserId',
      'actorName',
      'targetType',
      'targetId',
      'targetName',
      'changes',
      'outcome',
      'reason',
      'ip',
      'userAgent',
      'requestId',
      'occurredAt',
      'sequence',
      'previousHash',
      'hash',
    ]);
    expect(rows.map((row) => row[3])).toEqual(['project.created', 'project.updated']);
    const cells = Object.fromEntries(header!.map((name, index) => [name, rows[1]![index]]));
    expect(cells).toMatchObject({
      actorName: `'=HYPERLINK("http://evil.example","x")`,
      targetName: `'+SUM(A1:A2), "quoted"\nline`,
      userAgent: "'\tcurl",
      userId: '',
      sequence: '2',
      outcome: 'success',
    });
    expect(JSON.parse(cells.changes!)).toEqual({ name: { before: '@old', after: '-new' } });
  });

  it('defuses every formula prefix, and only in text', () => {
    for (const text of ['=1', '+1', '-1', '@A1', '\t1', '\r1']) expect(safeCell(text)).toBe(`'${text}`);
    expect(safeCell('plain')).toBe('plain');
    expect(safeCell(-3)).toBe('-3');
    expect(safeCell(null)).toBe('');
  });

  it('is for owners only, and refuses an unknown format naming it', async () => {
    expect((await exportOf('?format=jsonl', member)).statusCode).toBe(403);
    const res = await exportOf('?format=xml');
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('format');
  });
});

describe('audit log export of a long log', () => {
  let h: AuditHarness;
  let base: string;
  const organizationId = newId();
  const owner = personPrincipal();
  const ROWS = 20_000;

  beforeAll(async () => {
    h = await startAudit();
    await addMember(h, organizationId, owner.userId, 'owner');
    await seedBulk(h, organizationId, owner.userId, ROWS, "repeat('x', 300)");
    await h.service.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.service.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => h.close());

  const exportsRecorded = async () => {
    const [row] = await sql<{ count: number }>(
      h,
      "select count(*)::int as count from audit_records where organization_id = ? and action = 'audit_log.exported'",
      [organizationId],
    );
    return row!.count;
  };

  /** Reads the export over a real socket; `onFirstChunk` runs while the stream is paused after its first bytes. */
  const download = async (onFirstChunk?: () => Promise<void>) => {
    const headers = await h.service.as(owner);
    return new Promise<{ lines: number; complete: boolean }>((resolve, reject) => {
      const request = http.get(`${base}${logUrl(organizationId, '/export?format=jsonl')}`, { headers }, (res) => {
        let lines = 0;
        let first = true;
        res.on('data', (chunk: Buffer) => {
          for (const byte of chunk) if (byte === 10) lines += 1;
          if (first && onFirstChunk) {
            first = false;
            res.pause();
            onFirstChunk().then(() => res.resume(), reject);
          }
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve({ lines, complete: res.complete }));
      });
      request.on('error', reject);
    });
  };

  it('streams every row of a log longer than many batches', async () => {
    const result = await download();
    // Every bulk row and the export records themselves (each recorded before its stream starts).
    expect(result).toEqual({ lines: ROWS + (await exportsRecorded()), complete: true });
  });

  it('survives the database failing mid-stream: the response is cut, the service carries on', async () => {
    try {
      const result = await download(async () => {
        await sql(h, 'alter table audit_records rename to audit_records_away');
      });
      expect(result.complete).toBe(false);
      expect(result.lines).toBeLessThan(ROWS);
    } finally {
      await sql(h, 'alter table audit_records_away rename to audit_records').catch(() => undefined);
    }
    const ready = await h.service.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const again = await download();
    expect(again).toEqual({ lines: ROWS + (await exportsRecorded()), complete: true });
  });
});
