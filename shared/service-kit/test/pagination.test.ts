import { AppError } from '@gatehouse/contracts';
import { Migration } from '@mikro-orm/migrations';
import { EntitySchema } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  dropDatabase,
  findPage,
  findRowsPage,
  initOrm,
  KIT_TABLES_SQL,
  type Orm,
  type PageRequest,
  queryRows,
  type SqlListOptions,
} from '../src/index.js';
import { testNamespace } from '../src/testing.js';

interface Thing {
  id: string;
  groupId: string;
  name: string;
  createdAt: Date;
  /** Null for some rows: a nullable sort field (PostgreSQL puts nulls last ascending, first descending). */
  seenAt: Date | null;
}

const ThingSchema = new EntitySchema<Thing>({
  name: 'Thing',
  tableName: 'things',
  properties: {
    id: { type: 'string', primary: true },
    groupId: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'Date' },
    seenAt: { type: 'Date', nullable: true },
  },
});

class PaginationSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql(`create table things (id varchar(26) primary key, group_id varchar(26) not null,
      name text not null, created_at timestamptz not null, seen_at timestamptz null)`);
    this.addSql('create table labels (thing_id varchar(26) primary key, label text not null)');
  }
}

/** Few distinct names and times, so every page boundary falls inside a run of ties. */
const NAMES = ['alpha', 'Alpha', 'beta', '100%', '1000', 'a_b', 'axb', 'back\\slash', 'beta'];
const TIMES = [0, 0, 0, 1, 1, 2, 2, 2, 2].map((minute) => new Date(Date.UTC(2026, 0, 1, 0, minute)));
const things: Thing[] = NAMES.map((name, index) => ({
  id: `T${String(index).padStart(25, '0')}`,
  groupId: 'G1',
  name,
  createdAt: TIMES[index]!,
  seenAt: index % 3 === 0 ? null : TIMES[(index * 5) % TIMES.length]!,
}));
/** Another group's rows, which no page of G1 may show. */
const outsider: Thing = { id: `T${'9'.repeat(25)}`, groupId: 'G2', name: 'alpha', createdAt: TIMES[0]!, seenAt: null };

const ns = testNamespace();
const databaseUrl = ns.databaseUrl('pagination');
let orm: Orm;

beforeAll(async () => {
  orm = await initOrm({
    databaseUrl,
    entities: [ThingSchema],
    migrations: [{ name: 'pagination', class: PaginationSchema }],
    logger: createLogger('pagination-test', 'silent'),
  });
  const em = orm.em.fork();
  for (const thing of [...things, outsider]) em.create(ThingSchema, thing);
  await em.flush();
  for (const thing of things) {
    await em.execute('insert into labels (thing_id, label) values (?, ?)', [thing.id, `label of ${thing.name}`]);
  }
});
afterAll(async () => {
  await orm?.close();
  await dropDatabase(databaseUrl);
});

const request = (overrides: Partial<PageRequest> = {}): PageRequest => ({ offset: 0, limit: 20, ...overrides });

/** The two variants over the same rows: an entity, and SQL with a join. */
const variants = {
  entity: (query: PageRequest) =>
    findPage(orm.em.fork(), ThingSchema, { groupId: 'G1' }, query, {
      sortable: { name: 'string', createdAt: 'date', seenAt: 'date' },
      defaultSort: '-createdAt',
      search: ['name'],
    }),
  sql: async (query: PageRequest) => {
    const list: SqlListOptions = {
      select: 't.id, t.group_id as "groupId", t.name, t.created_at as "createdAt", t.seen_at as "seenAt", l.label',
      from: 'things t left join labels l on l.thing_id = t.id',
      where: 't.group_id = ?',
      params: ['G1'],
      id: 't.id',
      sortable: {
        name: { column: 't.name', kind: 'string' },
        createdAt: { column: 't.created_at', kind: 'date' },
        seenAt: { column: 't.seen_at', kind: 'date', nullable: true },
      },
      defaultSort: '-createdAt',
      search: ['t.name'],
    };
    // PostgreSQL's timestamps come back from raw SQL as text.
    return findRowsPage<
      Omit<Thing, 'createdAt' | 'seenAt'> & { createdAt: string; seenAt: string | null; label: string }
    >(orm.em.fork(), list, query);
  },
};

/** What the database's own order says, sort value then id, for comparison. */
async function expectedOrder(column: 'name' | 'created_at' | 'seen_at', direction: 'asc' | 'desc'): Promise<string[]> {
  const rows: Array<{ id: string }> = await orm.em
    .fork()
    .execute(`select id from things where group_id = 'G1' order by ${column} ${direction}, id ${direction}`);
  return rows.map((row) => row.id);
}

function refusal(error: unknown) {
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  const errors = (appError.meta?.errors ?? []) as Array<{ field: string }>;
  return { code: appError.code, fields: errors.map((e) => e.field) };
}

describe.each(Object.entries(variants))('the %s list', (_variant, list) => {
  it.each([
    ['createdAt', 'created_at', 'asc'],
    ['-createdAt', 'created_at', 'desc'],
    ['name', 'name', 'asc'],
    ['-name', 'name', 'desc'],
    ['seenAt', 'seen_at', 'asc'],
    ['-seenAt', 'seen_at', 'desc'],
  ] as const)('walks every row once by cursor, sorted by %s, through ties', async (sort, column, direction) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await list(request({ sort, limit: 2, cursor }));
      seen.push(...page.items.map((item) => item.id));
      if (cursor) expect(page.meta.total).toBeUndefined();
      expect(page.meta.hasMore).toBe(page.meta.nextCursor !== null);
      if (!page.meta.nextCursor) break;
      cursor = page.meta.nextCursor;
    }
    expect(seen).toEqual(await expectedOrder(column, direction));
  });

  it('pages by offset with the total, and offers the cursor for the rest', async () => {
    const order = await expectedOrder('created_at', 'desc');
    const first = await list(request({ limit: 4, offset: 3 }));
    expect(first.items.map((item) => item.id)).toEqual(order.slice(3, 7));
    expect(first.meta).toMatchObject({ offset: 3, limit: 4, total: things.length, hasMore: true });
    const rest = await list(request({ limit: 20, offset: 3, cursor: first.meta.nextCursor! }));
    // With a cursor the offset is ignored: the walk continues right after the page.
    expect(rest.meta.offset).toBe(0);
    expect(rest.items.map((item) => item.id)).toEqual(order.slice(7));
    const past = await list(request({ offset: 50 }));
    expect(past.items).toEqual([]);
    expect(past.meta).toMatchObject({ total: things.length, hasMore: false, nextCursor: null });
  });

  it.each([
    ['%', ['100%']],
    ['_', ['a_b']],
    ['\\', ['back\\slash']],
    ['ALPHA', ['alpha', 'Alpha']],
    ['10', ['100%', '1000']],
    ['zzz', []],
  ])('matches q=%s literally and case-insensitively', async (q, names) => {
    const page = await list(request({ q, sort: 'name' }));
    expect(page.items.map((item) => item.name).sort()).toEqual([...names].sort());
    expect(page.meta.total).toBe(names.length);
  });

  it('keeps q across a cursor walk', async () => {
    const first = await list(request({ q: 'beta', limit: 1 }));
    const second = await list(request({ q: 'beta', limit: 1, cursor: first.meta.nextCursor! }));
    expect([...first.items, ...second.items].map((item) => item.name)).toEqual(['beta', 'beta']);
    expect(second.meta).toMatchObject({ hasMore: false, nextCursor: null });
  });

  it.each(['secret', '-secret', 'constructor', 'id'])('refuses sort=%s naming sort', async (sort) => {
    const error = await list(request({ sort })).catch((failure: unknown) => failure);
    expect(refusal(error)).toEqual({ code: 'VALIDATION_ERROR', fields: ['sort'] });
  });

  it('refuses a cursor it could not have issued, naming cursor', async () => {
    const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
    const issued = (await list(request({ sort: 'name', limit: 1 }))).meta.nextCursor!;
    for (const [cursor, sort] of [
      ['not-base64-json', 'name'],
      [encode(null), 'name'],
      [encode({ s: 'name', v: 1, id: 'x' }), 'name'],
      [encode({ s: 'name', v: 'a\u0000', id: 'x' }), 'name'],
      [encode({ s: '-createdAt', v: 'not a date', id: 'x' }), '-createdAt'],
      [encode({ s: '-createdAt', v: '-271821-04-20T00:00:00.000Z', id: 'x' }), '-createdAt'],
      // Null is a value only a nullable field has.
      [encode({ s: 'name', v: null, id: 'x' }), 'name'],
      // A cursor of another sort (or direction) is not one of this walk.
      [issued, '-name'],
      [issued, 'createdAt'],
    ] as const) {
      const error = await list(request({ sort, cursor })).catch((failure: unknown) => failure);
      expect(refusal(error), cursor).toEqual({ code: 'VALIDATION_ERROR', fields: ['cursor'] });
    }
  });
});

it('the SQL list returns the joined columns and nothing of its own', async () => {
  const page = await variants.sql(request({ q: 'a_b' }));
  expect(page.items).toEqual([
    {
      id: things[5]!.id,
      groupId: 'G1',
      name: 'a_b',
      createdAt: expect.any(String),
      seenAt: expect.any(String),
      label: 'label of a_b',
    },
  ]);
  expect(new Date(page.items[0]!.createdAt)).toEqual(things[5]!.createdAt);
});

it('counts an empty page past the end, and an empty list as 0', async () => {
  const past = await variants.sql(request({ offset: 50 }));
  expect(past).toMatchObject({ items: [], meta: { total: things.length, hasMore: false, offset: 50 } });
  const none = await variants.sql(request({ q: 'no such name' }));
  expect(none).toMatchObject({ items: [], meta: { total: 0, hasMore: false } });
});

it('queryRows reads on the transaction it is given, and on a pooled connection otherwise', async () => {
  const id = `T${'8'.repeat(25)}`;
  const count = `select count(*)::int as n from things where id = ?`;
  await orm.em
    .fork()
    .transactional(async (tx) => {
      await tx.execute(`insert into things (id, group_id, name, created_at) values (?, 'G3', 'uncommitted', now())`, [
        id,
      ]);
      expect(await queryRows<{ n: number }>(tx, count, [id])).toEqual([{ n: 1 }]);
      expect(await queryRows<{ n: number }>(orm.em.fork(), count, [id])).toEqual([{ n: 0 }]);
      throw new Error('roll back');
    })
    .catch((error: Error) => expect(error.message).toBe('roll back'));
  expect(await queryRows<{ n: number }>(orm.em.fork(), count, [id])).toEqual([{ n: 0 }]);
});
