/**
 * The SCIM part of `pnpm bench` (issue #18): a directory provisions SCIM_BENCH_USERS people (10,000)
 * and SCIM_BENCH_GROUPS groups (500) through the gateway with SCIM_BENCH_CONCURRENCY requests in
 * flight (16), as an IdP's provisioning worker does. Printed: users/s for create, the time to fill a
 * 5,000-member group (once in one PATCH, once in ten PATCHes of 500), and list latency p50/p95 for
 * `userName eq` and `emails[type eq "work"].value co` via the gateway and straight to identity with a
 * gateway-signed principal. Then the plans PostgreSQL chose for those two lists (docs/scim.md).
 * `BENCH_ONLY=scim pnpm bench` runs only this, `SCIM_BENCH_USERS=500 SCIM_BENCH_GROUPS=20` runs it quickly.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { newId, SCIM_MEDIA_TYPE, SCIM_SCHEMAS } from '@gatehouse/contracts';
import pg from 'pg';
import { scimFilterSql } from '../services/identity/src/scim/filter.js';

export const SCIM_BENCH_USERS = Number(process.env.SCIM_BENCH_USERS ?? 10_000);
export const SCIM_BENCH_GROUPS = Number(process.env.SCIM_BENCH_GROUPS ?? 500);
const CONCURRENCY = Number(process.env.SCIM_BENCH_CONCURRENCY ?? 16);
const LIST_SAMPLES = Number(process.env.SCIM_BENCH_LIST_SAMPLES ?? 300);
const BIG_GROUP = 5000;
const BATCH = 500;

export interface ScimBenchSetup {
  gateway: string;
  identity: string;
  identityDatabaseUrl: string;
  organizationId: string;
  /** The organization owner's session cookie (`name=value`). */
  cookie: string;
  /** Signs a principal exactly as the gateway would, for the direct-to-identity targets. */
  sign: (principal: object) => Promise<string>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One SCIM request; node:http with a kept-alive pool, so what is timed is the server, not the client. */
function scim(
  base: string,
  headers: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: { id?: string; totalResults?: number } & Record<string, unknown> }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const all: Record<string, string> = { accept: SCIM_MEDIA_TYPE, ...headers };
  if (payload) {
    all['content-type'] = SCIM_MEDIA_TYPE;
    all['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/scim/v2/${path}`, { method, headers: all, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `count` tasks with at most CONCURRENCY at once; answers the wall time in ms. */
async function bounded(count: number, task: (index: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return performance.now() - started;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function latency(samples: number, call: (index: number) => Promise<unknown>) {
  const times: number[] = [];
  // Warm-up, untimed: pools, JIT, the gateway's credential cache.
  for (let i = 0; i < 20; i++) await call(i);
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await call(i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

function expect(status: number, wanted: number[], what: string, body: unknown) {
  if (!wanted.includes(status)) throw new Error(`${what}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
}

export async function scimBench(setup: ScimBenchSetup): Promise<void> {
  const db = new pg.Client({ connectionString: setup.identityDatabaseUrl });
  await db.connect();
  try {
    // A domain its organization has proven (DNS proof is not what is measured here).
    const domain = `scim-${randomBytes(4).toString('hex')}.example.test`;
    await db.query(
      `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
       values ($1, $2, $3, $4, now(), now())`,
      [newId(), setup.organizationId, domain, randomBytes(16).toString('hex')],
    );
    const created = await fetch(`${setup.gateway}/api/user/organizations/${setup.organizationId}/directories`, {
      method: 'POST',
      headers: { cookie: setup.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', roleMapping: [{ group: 'bench-admins', role: 'admin' }] }),
    });
    const answer = (await created.json()) as { data: { directory: { id: string }; token: string } };
    expect(created.status, [201], 'directory creation', answer);
    const { directory, token } = answer.data;
    const viaGateway = { authorization: `Bearer ${token}` };
    const gw = (method: string, path: string, body?: unknown) => scim(setup.gateway, viaGateway, method, path, body);

    const userName = (i: number) => `person-${i}@${domain}`;
    const ids: string[] = new Array(SCIM_BENCH_USERS);
    const createMs = await bounded(SCIM_BENCH_USERS, async (i) => {
      const res = await gw('POST', 'Users', {
        schemas: [SCIM_SCHEMAS.user],
        userName: userName(i),
        externalId: `ext-${i}`,
        name: { givenName: `Given${i}`, familyName: `Family${i}` },
        emails: [{ primary: true, type: 'work', value: userName(i) }],
        active: true,
      });
      expect(res.status, [201], `user ${i}`, res.body);
      ids[i] = res.body.id as string;
    });

    // Groups of up to 20 members each, created with their members (Entra and Okta both do this).
    const groupIds: string[] = new Array(SCIM_BENCH_GROUPS);
    const groupsMs = await bounded(SCIM_BENCH_GROUPS, async (g) => {
      const members = Array.from({ length: Math.min(20, SCIM_BENCH_USERS) }, (_, k) => ({
        value: ids[(g * 20 + k) % SCIM_BENCH_USERS]!,
      }));
      const res = await gw('POST', 'Groups', {
        schemas: [SCIM_SCHEMAS.group],
        displayName: `group-${g}`,
        members,
      });
      expect(res.status, [201], `group ${g}`, res.body);
      groupIds[g] = res.body.id as string;
    });

    // The 5,000-member group (capped at the users there are), filled two ways, each from empty.
    const size = Math.min(BIG_GROUP, SCIM_BENCH_USERS);
    const members = ids.slice(0, size).map((value) => ({ value }));
    const add = (chunk: Array<{ value: string }>) => ({
      schemas: [SCIM_SCHEMAS.patchOp],
      Operations: [{ op: 'add', path: 'members', value: chunk }],
    });
    const bigGroup = async (name: string) => {
      const res = await gw('POST', 'Groups', { schemas: [SCIM_SCHEMAS.group], displayName: name });
      expect(res.status, [201], name, res.body);
      return res.body.id as string;
    };
    const oneId = await bigGroup('bench-admins');
    let started = performance.now();
    const one = await gw('PATCH', `Groups/${oneId}`, add(members));
    expect(one.status, [200, 204], 'one PATCH', one.body);
    const oneMs = performance.now() - started;
    const tenId = await bigGroup('bench-batched');
    started = performance.now();
    for (let i = 0; i < size; i += BATCH) {
      const res = await gw('PATCH', `Groups/${tenId}`, add(members.slice(i, i + BATCH)));
      expect(res.status, [200, 204], 'batched PATCH', res.body);
    }
    const tenMs = performance.now() - started;

    // The lists: same calls via the gateway and straight to identity.
    const [tokenRow] = (
      await db.query<{ id: string }>(
        'select id from directory_tokens where directory_id = $1 order by created_at desc limit 1',
        [directory.id],
      )
    ).rows;
    const principal = {
      kind: 'scim',
      credentialId: tokenRow!.id,
      directoryId: directory.id,
      organizationId: setup.organizationId,
    };
    // Signed once per run of samples (a principal token lives 30 s), so signing is not what is timed.
    const directClient = async () => {
      const headers = { 'x-gatehouse-principal': await setup.sign(principal) };
      return (path: string) => scim(setup.identity, headers, 'GET', path);
    };
    const filters = {
      'userName eq': (i: number) => `userName eq "${userName((i * 7919) % SCIM_BENCH_USERS)}"`,
      'emails[type eq "work"].value co': (i: number) =>
        `emails[type eq "work"].value co "person-${(i * 7919) % SCIM_BENCH_USERS}@"`,
    };
    const lists: Array<{ name: string; gateway: { p50: number; p95: number }; direct: { p50: number; p95: number } }> =
      [];
    for (const [name, filter] of Object.entries(filters)) {
      const path = (i: number) => `Users?${new URLSearchParams({ filter: filter(i) })}`;
      const check = await gw('GET', path(1));
      expect(check.status, [200], name, check.body);
      if (check.body.totalResults !== 1) throw new Error(`${name}: ${check.body.totalResults} results, not 1`);
      const gateway = await latency(LIST_SAMPLES, (i) => gw('GET', path(i)));
      const direct = await directClient();
      lists.push({ name, gateway, direct: await latency(LIST_SAMPLES, (i) => direct(path(i))) });
    }

    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      `\nSCIM — ${SCIM_BENCH_USERS} users, ${SCIM_BENCH_GROUPS} groups of ≤ 20, ${CONCURRENCY} requests in flight, via the gateway`,
    );
    console.log(
      `  create users:  ${(SCIM_BENCH_USERS / (createMs / 1000)).toFixed(0)} users/s (${ms(createMs)} in all)`,
    );
    console.log(`  create groups: ${(SCIM_BENCH_GROUPS / (groupsMs / 1000)).toFixed(0)} groups/s`);
    console.log(
      `  ${size}-member group, one PATCH adding all:      ${ms(oneMs)} (${(size / (oneMs / 1000)).toFixed(0)} members/s)`,
    );
    console.log(
      `  ${size}-member group, ${Math.ceil(size / BATCH)} PATCH(es) of ≤ ${BATCH} in a row: ${ms(tenMs)} (${(size / (tenMs / 1000)).toFixed(0)} members/s)`,
    );
    console.log(`  list latency over ${LIST_SAMPLES} sequential requests, one result each (p50 / p95):`);
    for (const row of lists) {
      console.log(
        `    ${row.name.padEnd(34)} gateway ${ms(row.gateway.p50)} / ${ms(row.gateway.p95)}   direct ${ms(row.direct.p50)} / ${ms(row.direct.p95)}   gateway/direct p50 ${(row.gateway.p50 / row.direct.p50).toFixed(2)}x`,
      );
    }
    await db.query('analyze scim_users');
    for (const [name, filter] of Object.entries(filters)) await printPlan(db, directory.id, name, filter(1));
  } finally {
    await db.end();
    agent.destroy();
  }
}

/**
 * EXPLAIN ANALYZE of the two queries identity's list runs (services/identity/src/scim/list.ts): the
 * same filter SQL from identity's own compiler, the same where-clause and order.
 */
async function printPlan(db: pg.Client, directoryId: string, name: string, filter: string) {
  const compiled = scimFilterSql('users', filter);
  const from = `from scim_users r where r.directory_id = ? and r.deleted_at is null and ${compiled.sql}`;
  const params = [directoryId, ...compiled.params];
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  console.log(`\n  plan, ${name}: count, then the page`);
  for (const [sql, values] of [
    [`select count(*)::int as total ${from}`, params],
    [`select r.id ${from} order by r.created_at, r.id limit ? offset ?`, [...params, 200, 0]],
  ] as const) {
    const plan = await db.query(`explain (analyze, costs off, timing on, summary on) ${numbered(sql)}`, [...values]);
    for (const row of plan.rows) console.log(`    ${row['QUERY PLAN']}`);
  }
}
