/**
 * `pnpm bench:plans` (API keys): the plans behind one user with 500 API keys among 100,000 — the keys
 * list (first page, every sort, a deep cursor page, search, a pinned key's view), creating a key (the
 * per-user cap), revoking and deleting one (its delegations), and the gateway's credential resolution
 * by the key's hash — run through identity's own code on a database migrated as identity migrates.
 * services/identity/test/api-keys-scale.test.ts asserts the same plans at a smaller scale.
 */
import { fileURLToPath } from 'node:url';
import { type AuthenticatedPrincipal, TOKEN_SCOPES } from '@gatehouse/contracts';
import { createMailer, createServiceDeps, dropDatabase, type ServiceDeps } from '@gatehouse/service-kit';
import { generatePrincipalKeys, testNamespace } from '@gatehouse/service-kit/testing';
import {
  createApiKey,
  deleteApiKey,
  getApiKey,
  listApiKeys,
  updateApiKey,
} from '../services/identity/src/api-keys/service.js';
import { buildIdentityContext } from '../services/identity/src/build-context.js';
import type { IdentityConfig } from '../services/identity/src/config.js';
import type { IdentityContext } from '../services/identity/src/context.js';
import { resolveCredential } from '../services/identity/src/credential-resolution/resolve.js';
import { identityService } from '../services/identity/src/definition.js';
import { identityTestConfig } from '../services/identity/test/harness.js';
import {
  MAX_EXAMINED_PER_TABLE,
  PAGE,
  type PlanCheck,
  planShapes,
  printScenarios,
  type Scenario,
  scenarioProblems,
} from './plan-shape.js';

export { MAX_EXAMINED_PER_TABLE };

export interface KeyScale {
  /** Keys of the user under test: every tenth disabled, every tenth (another) expired, every seventh pinned. */
  keys: number;
  /** Keys of everyone else, spread over `users`. */
  elsewhere: number;
  users: number;
}

export const FULL_SCALE: KeyScale = { keys: 500, elsewhere: 100_000, users: 1_000 };

export const KEY_TABLES = ['api_keys', 'users'] as const;

const USER = `U${'0'.repeat(25)}`;
const ORG = `O${'0'.repeat(25)}`;
const keyId = (n: number) => `ak_${String(n).padStart(26, '0')}`;
/** The key that delegated to three others (their lineage: revoked and deleted with it). */
const PARENT = 250;

export interface IdentityBench {
  ctx: IdentityContext;
  close(): Promise<void>;
}

/** identity's context on its own database and stream, as app.ts builds it, without HTTP. */
export async function startIdentityContext(scale: KeyScale): Promise<IdentityBench> {
  const ns = testNamespace();
  // A cap above the user's keys, so a key can be created at 500 (the default of 50 would refuse it).
  const config = identityTestConfig(ns, await generatePrincipalKeys(), {
    API_KEY_MAX_PER_USER: scale.keys * 2,
  }) as IdentityConfig;
  const deps = (await createServiceDeps(identityService, config)) as ServiceDeps<IdentityConfig>;
  const ctx = buildIdentityContext(deps, createMailer(config, deps.logger));
  return {
    ctx,
    async close() {
      await deps.messaging.jsm.streams.delete(config.EVENTS_STREAM).catch(() => undefined);
      await deps.close();
      await dropDatabase(config.DATABASE_URL);
    },
  };
}

const KEY_ROWS = `
  insert into api_keys (id, user_id, name, key_hash, start, scopes, organization_id, parent_key_id, enabled,
                        expires_at, last_used_at, created_at, updated_at)
  select 'ak_' || lpad(g::text, 26, '0'),
         case when g <= ? then ? else 'U' || lpad((1 + g % ?)::text, 25, '0') end,
         'Key ' || g, encode(sha256(convert_to('seed-' || g, 'UTF8')), 'hex'), 'ba_seed', '["user:read"]'::jsonb,
         case when g % 7 = 0 then ? end,
         case when g between ? and ? then 'ak_' || lpad(?::text, 26, '0') end,
         g % 10 <> 0,
         case when g % 10 = 1 then timestamptz '2026-01-01' end,
         case when g % 3 = 0 then timestamptz '2026-06-01' + (moment || ' seconds')::interval end,
         timestamptz '2026-01-01' + (moment || ' seconds')::interval, timestamptz '2026-01-01' + (moment || ' seconds')::interval
  from generate_series(?, ?) g,
       -- The user's keys spread over the same months as everyone's, as keys made over time are.
       lateral (select case when g <= ? then g * ? else g end as moment) spread`;

function insertKeys(ctx: IdentityContext, scale: KeyScale, from: number, to: number) {
  return ctx.deps.orm.em
    .fork()
    .execute(KEY_ROWS, [
      scale.keys,
      USER,
      scale.users,
      ORG,
      PARENT + 1,
      PARENT + 3,
      PARENT,
      from,
      to,
      scale.keys,
      Math.floor((scale.keys + scale.elsewhere) / scale.keys),
    ]);
}

export async function seedKeys(ctx: IdentityContext, scale: KeyScale): Promise<void> {
  const em = ctx.deps.orm.em.fork();
  await em.execute(
    `insert into users (id, email, password_hash, full_name, handle, is_verified, created_at, updated_at)
     select 'U' || lpad(g::text, 25, '0'), 'user-' || g || '@example.test', 'x', 'User ' || g, 'user-' || g, true,
            now(), now()
     from generate_series(0, ?) g`,
    [scale.users],
  );
  await insertKeys(ctx, scale, 1, scale.keys + scale.elsewhere);
  // What autovacuum does on a live table: statistics and the visibility map (index-only counts).
  await em.execute('vacuum analyze users, api_keys');
}

export async function keyScenarios(ctx: IdentityContext, scale: KeyScale): Promise<Scenario[]> {
  const orm = ctx.deps.orm;
  const session: AuthenticatedPrincipal = {
    kind: 'session',
    userId: USER,
    credentialId: `S${'0'.repeat(25)}`,
    scopes: [...TOKEN_SCOPES],
    role: 'user',
    amr: ['pwd'],
  };
  const pinned: AuthenticatedPrincipal = {
    ...session,
    kind: 'api_key',
    credentialId: keyId(7),
    organizationId: ORG,
  };
  const scenarios: Scenario[] = [];
  const run = async (
    title: string,
    check: PlanCheck,
    work: () => Promise<unknown>,
    restore?: () => Promise<unknown>,
  ) => {
    scenarios.push({ title, check, shapes: await planShapes(orm, work, restore) });
  };
  const list = (query: { sort?: string; cursor?: string; q?: string; offset?: number }, as = session) =>
    listApiKeys(ctx, as, { offset: 0, limit: PAGE, ...query });

  await run('keys list, first page, newest first (with the total)', 'page', () => list({}));
  for (const sort of ['name', '-name', 'lastUsedAt', '-lastUsedAt', 'createdAt']) {
    await run(`keys list, sorted by ${sort}`, 'page', () => list({ sort }));
  }
  const middle = Math.floor(scale.keys / 2);
  const deep: { cursor?: string } = {};
  await run(`keys list, offset page at ${middle} (what the cursor avoids)`, 'report', async () => {
    deep.cursor = (await list({ offset: middle })).meta.nextCursor ?? undefined;
  });
  await run('keys list, cursor page deep in the list', 'page', () => list({ cursor: deep.cursor }));
  const byName: { cursor?: string } = {};
  await run(`keys list by name, offset page at ${middle} (what the cursor avoids)`, 'report', async () => {
    byName.cursor = (await list({ sort: 'name', offset: middle })).meta.nextCursor ?? undefined;
  });
  await run('keys list by name, cursor page deep in the list', 'page', () =>
    list({ sort: 'name', cursor: byName.cursor }),
  );
  // A name substring is matched against the user's keys only: bounded by what the user has, reported.
  await run("keys list, search by name (the user's keys are filtered)", 'report', () => list({ q: 'Key 42' }));
  await run("keys list as a pinned key (the user's keys filtered by organization)", 'report', () => list({}, pinned));
  await run('one key by id', 'page', () => getApiKey(ctx, session, keyId(middle)));
  const created: { key?: string; id?: string } = {};
  await run('key created (the per-user cap counts the live keys)', 'page', async () => {
    const key = await createApiKey(ctx, session, { name: 'Bench', scopes: ['user:read'], expiresIn: 86_400 });
    created.key = key.key;
    created.id = key.id;
  });
  await run('credential resolution by the key hash (the gateway, per uncached key)', 'page', () =>
    resolveCredential(ctx, { kind: 'api_key', secret: created.key ?? '' }),
  );
  await run(
    'key revoked (switched off with its three delegations)',
    'page',
    () => updateApiKey(ctx, session, { keyId: keyId(PARENT), enabled: false }, 'bench'),
    () =>
      orm.em
        .fork()
        .execute('update api_keys set enabled = true where id in (?, ?, ?, ?)', [
          keyId(PARENT),
          keyId(PARENT + 1),
          keyId(PARENT + 2),
          keyId(PARENT + 3),
        ]),
  );
  await run(
    'key deleted',
    'page',
    () => deleteApiKey(ctx, session, keyId(middle + 50), 'bench'),
    () => insertKeys(ctx, scale, middle + 50, middle + 50),
  );
  return scenarios;
}

async function main() {
  const scale = FULL_SCALE;
  const bench = await startIdentityContext(scale);
  let problems: string[] = [];
  try {
    const started = Date.now();
    await seedKeys(bench.ctx, scale);
    console.log(
      `seeded ${scale.keys} keys (+${scale.elsewhere} of ${scale.users} others) in ${Date.now() - started} ms`,
    );
    const scenarios = await keyScenarios(bench.ctx, scale);
    printScenarios(`A user with ${scale.keys} API keys among ${scale.keys + scale.elsewhere}`, scenarios);
    problems = scenarioProblems(scenarios, KEY_TABLES, MAX_EXAMINED_PER_TABLE);
  } finally {
    await bench.close();
  }
  console.log(problems.length === 0 ? '\nevery plan is bounded by the page' : `\nNOT O(page):\n${problems.join('\n')}`);
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
