/**
 * The audit part of `pnpm bench` (issue #19), against the running stack:
 *   1. ingestion: AUDIT_BENCH_EVENTS activity events (5,000) published to JetStream as a producer's outbox
 *      relay would, timed until every one is a record in the organization's chain — events/s; once with no
 *      webhook endpoint and once with one subscribed endpoint (each record also queues a delivery).
 *   2. export: AUDIT_BENCH_EXPORT_RECORDS records (1,000,000) written straight into the audit database, then
 *      exported as JSON Lines through the gateway — records/s, MB/s — while the audit process's resident memory
 *      is sampled every 50 ms: its peak beside its size before the export shows whether memory stays flat.
 * `BENCH_ONLY=audit pnpm bench` runs only this; `AUDIT_BENCH_EXPORT_RECORDS=100000` runs it quickly.
 */
import { readdir, readFile } from 'node:fs/promises';
import { EVENT_SUBJECTS, type EventEnvelope, newId } from '@gatehouse/contracts';
import { createLogger, natsConnectionOptions, Pump } from '@gatehouse/service-kit';
import { connect as connectNats, type NatsConnection, StringCodec } from 'nats';
import pg from 'pg';

const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 5000);
const EXPORT_RECORDS = Number(process.env.AUDIT_BENCH_EXPORT_RECORDS ?? 1_000_000);

export interface AuditBenchSetup {
  gateway: string;
  auditDatabaseUrl: string;
  organizationId: string;
  userId: string;
  /** The organization owner's session cookie (`name=value`). */
  cookie: string;
  natsUrl: string;
  subjectPrefix: string;
}

const codec = StringCodec();

export async function auditBench(setup: AuditBenchSetup): Promise<void> {
  const db = new pg.Client({ connectionString: setup.auditDatabaseUrl });
  await db.connect();
  const nats = await connectNats(natsConnectionOptions({ url: setup.natsUrl }, 'bench-audit'));
  try {
    // The owner's membership must have reached the audit service's read model before its routes answer.
    await until(async () => {
      const res = await fetch(`${setup.gateway}/api/user/organizations/${setup.organizationId}/audit-logs?limit=1`, {
        headers: { cookie: setup.cookie },
      });
      return res.status === 200;
    }, 60_000);
    console.log(
      `\naudit log — ${EVENTS} events ingested, then an export of ${EXPORT_RECORDS.toLocaleString()} records`,
    );
    const plain = await ingest(setup, nats, db, 'no webhook endpoint');
    await fetch(`${setup.gateway}/api/user/organizations/${setup.organizationId}/webhooks`, {
      method: 'POST',
      headers: { cookie: setup.cookie, 'content-type': 'application/json', origin: setup.gateway },
      // Never reached (a reserved documentation address): the deliveries are only queued here.
      body: JSON.stringify({ url: 'https://192.0.2.10/bench', events: ['project.*'] }),
    });
    const withHook = await ingest(setup, nats, db, 'one subscribed endpoint');
    console.log(`  with an endpoint / without: ${(withHook / plain).toFixed(2)}x the ingestion rate`);
    await exportBench(setup, db);
  } finally {
    await db.end();
    await nats.close();
  }
}

/** Publishes EVENTS project.updated activities and waits until all are records; answers events/s. */
async function ingest(setup: AuditBenchSetup, nats: NatsConnection, db: pg.Client, label: string): Promise<number> {
  const js = nats.jetstream();
  const before = await countRecords(db, setup.organizationId);
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const id = newId();
    const event: EventEnvelope<typeof EVENT_SUBJECTS.projectActivity> = {
      id,
      type: EVENT_SUBJECTS.projectActivity,
      occurredAt: new Date().toISOString(),
      version: 1,
      context: { actor: { type: 'user', id: setup.userId }, ip: '127.0.0.1', requestId: `bench-${i}` },
      data: {
        action: 'project.updated',
        organizationId: setup.organizationId,
        userId: null,
        target: { type: 'project', id: `bench-project-${i % 50}`, name: `Bench ${i % 50}` },
        changes: { status: { before: 'draft', after: 'active' } },
        outcome: 'success',
      },
    };
    pending.push(
      js.publish(`${setup.subjectPrefix}${EVENT_SUBJECTS.projectActivity}`, codec.encode(JSON.stringify(event)), {
        msgID: id,
      }),
    );
    if (pending.length >= 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await until(async () => (await countRecords(db, setup.organizationId)) >= before + EVENTS, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const rate = EVENTS / seconds;
  console.log(
    `  ingestion, ${label.padEnd(24)} ${rate.toFixed(0).padStart(6)} events/s  (${((seconds * 1000) / EVENTS).toFixed(2)} ms per event, ${seconds.toFixed(1)} s)`,
  );
  return rate;
}

async function countRecords(db: pg.Client, organizationId: string): Promise<number> {
  const { rows } = await db.query('select count(*)::int as n from audit_records where organization_id = $1', [
    organizationId,
  ]);
  return rows[0].n as number;
}

/**
 * Seeds a second organization's log with EXPORT_RECORDS rows in one INSERT … SELECT (the export reads rows;
 * it does not check hashes), makes the bench owner its owner in the audit read model, and exports it.
 */
async function exportBench(setup: AuditBenchSetup, db: pg.Client): Promise<void> {
  const organizationId = newId();
  await db.query("insert into memberships (organization_id, user_id, role) values ($1, $2, 'owner')", [
    organizationId,
    setup.userId,
  ]);
  const seedStarted = performance.now();
  await db.query(
    `insert into audit_records (id, chain_key, sequence, organization_id, user_id, action, actor_type, actor_id,
       actor_user_id, actor_name, target_type, target_id, target_name, changes, outcome, ip, user_agent, request_id,
       occurred_at, previous_hash, hash)
     select lpad(to_hex(i), 26, '0'), 'org:' || $1, i, $1, null, 'project.updated', 'user', $2, $2, 'Bench User',
       'project', 'p' || (i % 1000), 'Project ' || (i % 1000), '{"status":{"before":"draft","after":"active"}}',
       'success', '203.0.113.7', 'bench/1.0', 'req-' || i, now() - make_interval(secs => $3 - i),
       repeat('0', 64), md5(i::text) || md5((i + 1)::text)
     from generate_series(1, $3) as i`,
    [organizationId, setup.userId, EXPORT_RECORDS],
  );
  // The chain's head, so the export's own record (audit_log.exported) appends after the seeded ones.
  await db.query(
    "insert into audit_chains (chain_key, last_sequence, last_hash, anchor_sequence, anchor_hash) values ('org:' || $1, $2, repeat('0', 64), 0, repeat('0', 64))",
    [organizationId, EXPORT_RECORDS],
  );
  // Fresh statistics, as autovacuum would gather them soon after: without them the planner sorts the rest of
  // the log for every export batch (measured: 190 s instead of 15 s for a million).
  await db.query('analyze audit_records');
  console.log(
    `  seeded ${EXPORT_RECORDS.toLocaleString()} records in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
  );
  const pid = await auditPid();
  const baseline = pid ? await rssKiB(pid) : 0;
  let peak = baseline;
  // Sampled on the kit's Pump: a failed read of /proc is caught, logged and retried, never an unhandled rejection.
  const sampler = new Pump({
    name: 'audit-rss-sampler',
    logger: createLogger('bench', 'warn'),
    intervalMs: 50,
    pass: async () => {
      if (pid) peak = Math.max(peak, await rssKiB(pid));
    },
  });
  sampler.start();
  const started = performance.now();
  const res = await fetch(`${setup.gateway}/api/user/organizations/${organizationId}/audit-logs/export?format=jsonl`, {
    headers: { cookie: setup.cookie },
  });
  let bytes = 0;
  let lines = 0;
  // The peak so far at each quarter of the export: flat memory plateaus early instead of growing with the rows.
  const quarters: number[] = [];
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const byte of value) if (byte === 10) lines += 1;
    if (lines >= ((quarters.length + 1) * EXPORT_RECORDS) / 4) quarters.push(peak);
  }
  await sampler.stop();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `  export jsonl via gateway: ${lines.toLocaleString()} records (status ${res.status}) in ${seconds.toFixed(1)} s — ${(lines / seconds).toFixed(0)} records/s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s, ${(bytes / 1e6).toFixed(0)} MB`,
  );
  console.log(
    pid
      ? `  audit process RSS: ${(baseline / 1024).toFixed(0)} MiB before, peak ${(peak / 1024).toFixed(0)} MiB during (+${((peak - baseline) / 1024).toFixed(0)} MiB for ${(bytes / 1e6).toFixed(0)} MB streamed); peak after each quarter: ${quarters.map((kib) => `${(kib / 1024).toFixed(0)}`).join(' / ')} MiB`
      : '  audit process not found: RSS not sampled',
  );
  await db.query('delete from audit_records where organization_id = $1', [organizationId]);
  await db.query("delete from audit_chains where chain_key = 'org:' || $1", [organizationId]);
}

/** The audit service's process (started by infra/local/start.ts). */
async function auditPid(): Promise<number | null> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('services/audit/src/main.ts')) return Number(entry);
  }
  return null;
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}
