import { Readable } from 'node:stream';
import { AppError } from '@gatehouse/contracts';
import { stringify } from 'csv-stringify/sync';
import type { AuditContext } from '../context.js';
import type { AuditRecordRow } from '../records/entities.js';
import { presentRecord } from '../records/present.js';
import { type LogScope, scanLog } from './query.js';

export type ExportFormat = 'jsonl' | 'csv';

/** Rows read per query: one batch is the most the export holds in memory at once. */
export const EXPORT_BATCH_SIZE = 1000;

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const CSV_COLUMNS = [
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
] as const;

/**
 * The log, oldest first, as a byte stream pulled batch by batch: the generator only reads the next batch when
 * the socket took the last one (Readable.from awaits it; the byte high-water mark holds about one batch), so
 * memory stays flat however long the log is. A client that goes away destroys the stream, which ends the walk.
 */
export function exportStream(ctx: AuditContext, scope: LogScope, format: ExportFormat): Readable {
  return Readable.from(exportChunks(ctx, scope, format), { objectMode: false });
}

async function* exportChunks(ctx: AuditContext, scope: LogScope, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield stringify([[...CSV_COLUMNS]]);
  try {
    for await (const batch of scanLog(() => ctx.deps.orm.em.fork(), scope, EXPORT_BATCH_SIZE)) {
      yield format === 'csv' ? csvLines(batch) : jsonLines(batch);
    }
  } catch (error) {
    // The database went away mid-stream: the stream ends in an error (the client sees a cut response), the
    // process carries on. The driver's error names the query, so only its code is logged.
    ctx.deps.logger.error({ code: (error as { code?: unknown }).code }, 'audit log export interrupted');
    throw new AppError('SERVICE_UNAVAILABLE', 'The export was interrupted, retry shortly');
  }
}

function jsonLines(rows: AuditRecordRow[]): string {
  return rows.map((row) => `${JSON.stringify(presentRecord(row))}\n`).join('');
}

function csvLines(rows: AuditRecordRow[]): string {
  return stringify(rows.map(csvRow));
}

function csvRow(row: AuditRecordRow): string[] {
  const record = presentRecord(row);
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    id: record.id,
    organizationId: record.organizationId,
    userId: record.userId,
    action: record.action,
    actorType: record.actor.type,
    actorId: record.actor.id,
    actorUserId: record.actor.userId,
    actorName: record.actor.name,
    targetType: record.target.type,
    targetId: record.target.id,
    targetName: record.target.name,
    changes: record.changes === null ? null : JSON.stringify(record.changes),
    outcome: record.outcome,
    reason: record.reason,
    ip: record.ip,
    userAgent: record.userAgent,
    requestId: record.requestId,
    occurredAt: record.occurredAt,
    sequence: record.sequence,
    previousHash: record.previousHash,
    hash: record.hash,
  };
  return CSV_COLUMNS.map((column) => safeCell(cells[column]));
}

/** A cell a spreadsheet would run as a formula (OWASP's CSV injection list) starts with a quote instead. */
const FORMULA_START = /^[=+\-@\t\r]/;

export function safeCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return typeof value === 'string' && FORMULA_START.test(text) ? `'${text}` : text;
}
