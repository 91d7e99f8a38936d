/**
 * `pnpm bench:plans`: the query plans behind the projects list for one organization with 100,000
 * projects, on a scratch database migrated exactly as the project service migrates its own.
 */
import { initOrm } from '@gatehouse/service-kit';
import pg from 'pg';
import { projectService } from '../services/project/src/definition.js';

const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const url = new URL(server);
url.pathname = `/gatehouse_plans_${Date.now().toString(36)}`;
const orm = await initOrm({
  databaseUrl: url.toString(),
  entities: projectService.entities,
  migrations: projectService.migrations,
});
await orm.close();

const client = new pg.Client({ connectionString: url.toString() });
await client.connect();
const org = '01HZ3K5R4X9Y2V6QF8TJ7W0CDN';
try {
  // 100k projects in the organization under test, and 100k spread over 1,000 others.
  await client.query(
    `
    insert into projects (id, organization_id, name, slug, status, created_by_user_id, version, created_at, updated_at)
    select lpad(to_hex(g), 26, '0'), $1, 'Project ' || g, 'project-' || g,
           (array['draft','active','paused'])[1 + g % 3], 'U', 1,
           now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval
    from generate_series(1, 100000) g`,
    [org],
  );
  await client.query(`
    insert into projects (id, organization_id, name, slug, status, created_by_user_id, version, created_at, updated_at)
    select 'X' || lpad(to_hex(g), 25, '0'), 'O' || lpad((g % 1000)::text, 25, '0'), 'Other ' || g, 'other-' || g,
           'draft', 'U', 1, now(), now()
    from generate_series(1, 100000) g`);
  // What autovacuum does on a live table: statistics and the visibility map (index-only counts).
  await client.query('vacuum analyze projects');
  const { rows: middle } = await client.query('select created_at from projects where id = $1', [
    '0000000000000000000000c350',
  ]);
  const cursorAt = middle[0].created_at as Date;
  const plans: Array<[string, string, unknown[]]> = [
    [
      'first page, newest first (offset 0, limit 20)',
      'select * from projects where organization_id = $1 order by created_at desc, id desc limit 21',
      [org],
    ],
    [
      'deep offset page (offset 50,000): what the cursor avoids',
      'select * from projects where organization_id = $1 order by created_at desc, id desc limit 21 offset 50000',
      [org],
    ],
    [
      'cursor page deep in the list (keyset after a (created_at, id))',
      'select * from projects where organization_id = $1 and created_at <= $2 and (created_at < $2 or (created_at = $2 and id < $3)) order by created_at desc, id desc limit 21',
      [org, cursorAt, '0000000000000000000000c350'],
    ],
    ['sorted by name', 'select * from projects where organization_id = $1 order by name asc, id asc limit 21', [org]],
    [
      'search q=4242 by name',
      "select * from projects where organization_id = $1 and name ilike '%4242%' order by created_at desc, id desc limit 21",
      [org],
    ],
    [
      'status filter',
      "select * from projects where organization_id = $1 and status = 'paused' order by created_at desc, id desc limit 21",
      [org],
    ],
    ['total for meta', 'select count(*) from projects where organization_id = $1', [org]],
  ];
  for (const [title, sql, params] of plans) {
    const { rows } = await client.query(`explain (analyze, buffers, costs off, timing on, summary on) ${sql}`, params);
    console.log(
      `\n### ${title}\n\n\`\`\`sql\n${sql}\n\`\`\`\n\n\`\`\`\n${rows.map((row) => row['QUERY PLAN']).join('\n')}\n\`\`\``,
    );
  }
} finally {
  await client.end();
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`drop database if exists "${url.pathname.slice(1)}" with (force)`);
  await admin.end();
}
