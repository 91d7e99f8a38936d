/**
 * Query plans of what a service really runs: the SQL an operation sends is captured through
 * MikroORM's `onQuery` hook, then each read is explained (ANALYZE, FORMAT JSON) with the same
 * parameters and reduced to its shape — how each table was reached and how many of its rows were
 * looked at. `pnpm bench:plans` prints the shapes at full scale; the services' `*-scale` tests
 * assert them at a smaller one (never a timing).
 */
import type { Orm } from '@gatehouse/service-kit';

/** The page size the plan checks ask for. */
export const PAGE = 20;
/** A page and its look-ahead row, read from two tables (a join) with slack for a recheck or two. */
export const MAX_EXAMINED_PER_TABLE = 3 * (PAGE + 1);

export interface CapturedQuery {
  sql: string;
  params: readonly unknown[];
}

/** One table's part of a plan. */
export interface TableAccess {
  /** e.g. `Index Scan using members_org_joined_idx`, `Seq Scan`. */
  scans: string[];
  /** Rows read from it: returned plus removed by a filter or a recheck, times loops. */
  examined: number;
  /** Heap visits of index-only scans (0 once the visibility map is set, as autovacuum keeps it). */
  heapFetches: number;
}

export interface PlanShape extends CapturedQuery {
  /** What the rows out were read from (every scan outside an aggregate). */
  tables: Record<string, TableAccess>;
  /**
   * What was counted (scans under an aggregate: a list's total, in its own statement or as a subquery of
   * the page's). A count reads every row it counts, so it is held to how it reads them, not how many.
   */
  counted: Record<string, TableAccess>;
  /** Rows the statement returned. */
  rows: number;
  /** Execution time as EXPLAIN ANALYZE measured it, in milliseconds (reported, never asserted). */
  executionMs: number;
  /** The plan's node types top-down, e.g. `Limit > Nested Loop > Index Scan (members)`. */
  outline: string;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Heap Fetches'?: number;
  Plans?: PlanNode[];
}

/**
 * Only reads are explained: EXPLAIN ANALYZE runs the statement, and a write would happen twice. The
 * outbox relays' polls (kicked by a commit, on their own schedule) are not the operation's.
 */
const isRead = (sql: string) => /^\s*(select|with)\b/i.test(sql) && !/advisory/i.test(sql) && !/outbox/i.test(sql);

interface PgConnection {
  query(...args: unknown[]): unknown;
}
interface PoolClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}
/** Marks a pool (and each of its connections) as watched; on the pool, the capture in progress. */
const WATCH = Symbol('plan-capture');
type Watched<T> = T & { [WATCH]?: { capturing: CapturedQuery[] | null } };

/**
 * Statements are watched where every path meets: the pg connections of the ORM's pool, as the pool hands
 * them out (MikroORM's queries, knex's, and the kit's direct reads on a pooled connection alike).
 */
function watchPool(orm: Orm): { pool: PoolClient; state: { capturing: CapturedQuery[] | null } } {
  const pool = orm.em.getConnection().getKnex().client as unknown as Watched<PoolClient>;
  if (!pool[WATCH]) {
    const state: { capturing: CapturedQuery[] | null } = { capturing: null };
    const acquire = pool.acquireConnection.bind(pool);
    pool.acquireConnection = async () => {
      const connection = (await acquire()) as Watched<PgConnection>;
      if (!connection[WATCH]) {
        const query = connection.query.bind(connection);
        connection.query = (...args: unknown[]) => {
          const [first, second] = args;
          const statement =
            typeof first === 'string'
              ? { sql: first, params: Array.isArray(second) ? second : [] }
              : {
                  sql: String((first as { text?: string }).text ?? ''),
                  params: (first as { values?: unknown[] }).values ?? [],
                };
          if (state.capturing && isRead(statement.sql)) state.capturing.push(statement);
          return query(...args);
        };
        connection[WATCH] = state;
      }
      return connection;
    };
    pool[WATCH] = state;
  }
  return { pool, state: pool[WATCH] };
}

/** Runs `work` and returns the reads it sent to the database, in order. */
export async function captureReads(orm: Orm, work: () => Promise<unknown>): Promise<CapturedQuery[]> {
  const { state } = watchPool(orm);
  const captured: CapturedQuery[] = [];
  state.capturing = captured;
  try {
    await work();
  } finally {
    state.capturing = null;
  }
  return captured;
}

/** The statement explained with its own parameters, reduced to its shape. */
export async function explain(orm: Orm, query: CapturedQuery): Promise<PlanShape> {
  const { pool } = watchPool(orm);
  const connection = await pool.acquireConnection();
  let result: { rows: Array<{ 'QUERY PLAN': unknown }> };
  try {
    result = (await connection.query({
      text: `explain (analyze, buffers, format json) ${query.sql}`,
      values: [...query.params],
    })) as typeof result;
  } finally {
    await pool.releaseConnection(connection);
  }
  const [row] = result.rows;
  const raw = row?.['QUERY PLAN'];
  const [top] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{
    Plan: PlanNode;
    'Execution Time': number;
  }>;
  if (!top) throw new Error(`no plan for ${query.sql}`);
  const tables: Record<string, TableAccess> = {};
  const counted: Record<string, TableAccess> = {};
  const outline: string[] = [];
  const walk = (node: PlanNode, depth: number, counting: boolean) => {
    const relation = node['Relation Name'];
    outline.push(`${'  '.repeat(depth)}${node['Node Type']}${describeAccess(node)}`);
    if (relation && node['Node Type'] !== 'Bitmap Index Scan') {
      const into = counting ? counted : tables;
      into[relation] ??= { scans: [], examined: 0, heapFetches: 0 };
      const access = into[relation];
      const scan = node['Index Name'] ? `${node['Node Type']} using ${node['Index Name']}` : node['Node Type'];
      if (!access.scans.includes(scan)) access.scans.push(scan);
      const loops = node['Actual Loops'] ?? 1;
      const perLoop =
        (node['Actual Rows'] ?? 0) +
        (node['Rows Removed by Filter'] ?? 0) +
        (node['Rows Removed by Index Recheck'] ?? 0);
      access.examined += perLoop * loops;
      access.heapFetches += node['Heap Fetches'] ?? 0;
    }
    const below = counting || node['Node Type'] === 'Aggregate';
    for (const child of node.Plans ?? []) walk(child, depth + 1, below);
  };
  walk(top.Plan, 0, false);
  return {
    ...query,
    tables,
    counted,
    rows: top.Plan['Actual Rows'] ?? 0,
    executionMs: top['Execution Time'],
    outline: outline.join('\n'),
  };
}

function describeAccess(node: PlanNode): string {
  const parts = [
    node['Index Name'] && `using ${node['Index Name']}`,
    node['Relation Name'] && `on ${node['Relation Name']}`,
  ];
  const loops = node['Actual Loops'] ?? 1;
  const rows = `rows=${node['Actual Rows'] ?? 0}${loops > 1 ? ` loops=${loops}` : ''}`;
  const removed = node['Rows Removed by Filter'] ? ` removed=${node['Rows Removed by Filter']}` : '';
  return ` ${parts.filter(Boolean).join(' ')} (${rows}${removed})`.replace(/^ {2}/, ' ');
}

/**
 * The reads `work` sends, each explained. EXPLAIN ANALYZE runs after the work, so `restore` first puts
 * back what it removed: each read is explained against the rows it found.
 */
export async function planShapes(
  orm: Orm,
  work: () => Promise<unknown>,
  restore?: () => Promise<unknown>,
): Promise<PlanShape[]> {
  const queries = await captureReads(orm, work);
  await restore?.();
  const shapes: PlanShape[] = [];
  for (const query of queries) shapes.push(await explain(orm, query));
  return shapes;
}

/**
 * Why a plan is not O(page) on the big tables, or nothing: a sequential scan, or more rows looked at for
 * the page than `maxExamined`. A count (checked when `totals`) may read more than that only from an index
 * alone (an index-only scan: no table rows, the visibility map kept by autovacuum).
 */
export function planProblems(
  shape: PlanShape,
  bigTables: readonly string[],
  maxExamined: number,
  totals = true,
): string[] {
  const problems: string[] = [];
  for (const table of bigTables) {
    const page = shape.tables[table];
    if (page?.scans.some((scan) => scan.startsWith('Seq Scan'))) problems.push(`${table}: sequential scan`);
    if (page && page.examined > maxExamined) {
      problems.push(`${table}: ${page.examined} rows examined by ${page.scans.join(', ')} (at most ${maxExamined})`);
    }
    const count = shape.counted[table];
    if (!totals || !count) continue;
    if (count.scans.some((scan) => scan.startsWith('Seq Scan')))
      problems.push(`${table}: counted by a sequential scan`);
    const indexOnly = count.scans.every((scan) => scan.startsWith('Index Only Scan'));
    if (count.examined > maxExamined && !indexOnly) {
      problems.push(`${table}: ${count.examined} rows counted by ${count.scans.join(', ')}, not from an index alone`);
    }
  }
  return problems;
}

/** The shape as a report paragraph. */
export function formatShape(title: string, shape: PlanShape): string {
  const describe = (tables: Record<string, TableAccess>, verb: string) =>
    Object.entries(tables).map(
      ([table, access]) => `${table}: ${access.scans.join(' + ')}, ${access.examined} rows ${verb}`,
    );
  const reads = [...describe(shape.tables, 'examined'), ...describe(shape.counted, 'counted')].join('; ');
  const sql = shape.sql.replace(/\s+/g, ' ').trim();
  const outline = shape.outline
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
  return `- ${title}: ${shape.executionMs.toFixed(3)} ms, ${shape.rows} rows out; ${reads}\n    ${sql}\n${outline}`;
}

/**
 * How a scenario's reads must look: `page` — no sequential scan of a big table and at most a few pages'
 * worth of rows examined (a count: from an index alone); `page-and-total` — the page so, its total
 * (every match of a search counted) only reported; `report` — what the cursor avoids (a deep offset page).
 */
export type PlanCheck = 'page' | 'page-and-total' | 'report';

export interface Scenario {
  title: string;
  check: PlanCheck;
  shapes: PlanShape[];
}

/** Every plan problem of the scenarios, as `title: problem` lines. */
export function scenarioProblems(scenarios: Scenario[], bigTables: readonly string[], maxExamined: number): string[] {
  return scenarios
    .filter(({ check }) => check !== 'report')
    .flatMap(({ title, check, shapes }) =>
      shapes.flatMap((shape) =>
        planProblems(shape, bigTables, maxExamined, check === 'page').map((problem) => `${title}: ${problem}`),
      ),
    );
}

/** The most rows one table gave, over the scenario's reads. */
function most(shapes: PlanShape[], part: 'tables' | 'counted'): string {
  let found = { rows: 0, table: '' };
  for (const shape of shapes) {
    for (const [table, access] of Object.entries(shape[part])) {
      if (access.examined > found.rows) found = { rows: access.examined, table };
    }
  }
  return found.table ? `${found.rows} (${found.table})` : '-';
}

/** A summary line per scenario (time, the most rows any table gave), then every plan. */
export function printScenarios(heading: string, scenarios: Scenario[]): void {
  console.log(`\n## ${heading}\n`);
  console.log('| scenario | reads | total ms | most rows examined for the page | most rows counted |');
  console.log('|---|---:|---:|---|---|');
  for (const { title, shapes } of scenarios) {
    const ms = shapes.reduce((sum, shape) => sum + shape.executionMs, 0);
    console.log(
      `| ${title} | ${shapes.length} | ${ms.toFixed(3)} | ${most(shapes, 'tables')} | ${most(shapes, 'counted')} |`,
    );
  }
  console.log('');
  for (const { title, shapes } of scenarios) {
    shapes.forEach((shape, index) => {
      console.log(formatShape(shapes.length > 1 ? `${title} [${index + 1}/${shapes.length}]` : title, shape));
    });
  }
}
