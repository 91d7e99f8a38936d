/**
 * The floors `pnpm bench` measures Gatehouse against, each in its own process; FLOOR says which:
 *   service — bare fastify + pg: GET /api/user/me (one primary-key query), and a projects page and create
 *             (one insert), answering the same envelope and shapes as identity and project. The page is the
 *             project service's own statement (its columns and order from services/project/src/projects/sql.ts,
 *             the shape service-kit's findRowsPage gives it: the page by (organization, created_at, id) and its
 *             total in one statement), so the floor differs from the service only in what wraps the query;
 *   proxy   — a bare @fastify/http-proxy in front of UPSTREAM.
 * No auth, no hooks, no ORM: what the same work costs with nothing else in the way.
 */
import httpProxy from '@fastify/http-proxy';
import { DEFAULT_PAGE_LIMIT, newId, successEnvelope } from '@gatehouse/contracts';
import Fastify from 'fastify';
import pg from 'pg';
import { PROJECT_COLUMNS, PROJECT_SORTS, type ProjectRow } from '../services/project/src/projects/sql.js';

const app = Fastify({ logger: false });

if (process.env.FLOOR === 'proxy') {
  await app.register(httpProxy, { upstream: process.env.UPSTREAM ?? '' });
} else {
  // 10: the service kit's pool max (db.ts), so both sides have the same connections.
  const identity = new pg.Pool({ connectionString: process.env.IDENTITY_DATABASE_URL, max: 10 });
  const project = new pg.Pool({ connectionString: process.env.PROJECT_DATABASE_URL, max: 10 });
  const userId = process.env.USER_ID ?? '';
  // Columns are named as the API names them: pg's Dates serialize to the same ISO strings.
  const userView = `select id, email, full_name as "fullName", handle, is_verified as "isVerified",
      verified_at as "verifiedAt", is_active as "isActive", last_login_at as "lastLoginAt", role,
      (select count(*)::int from user_memberships m where m.user_id = u.id) as "organizationCount",
      created_at as "createdAt", updated_at as "updatedAt"
    from users u where u.id = $1`;
  const projectView = `p.id, p.organization_id as "organizationId", p.name, p.slug, p.description, p.status,
      p.created_by_user_id as "createdByUserId",
      json_build_object('id', p.created_by_user_id, 'fullName', u.full_name) as "createdByUser",
      p.created_at as "createdAt", p.updated_at as "updatedAt"`;
  type Params = { Params: { organizationId: string } };

  app.get('/api/user/me', async () => {
    const { rows } = await identity.query(userView, [userId]);
    return successEnvelope(200, 'User fetched successfully', rows[0]);
  });
  // The project service's first page (sort -createdAt, offset 0), as findRowsPage writes it.
  const sortColumn = PROJECT_SORTS.createdAt.column;
  const projectsPage = `select ${PROJECT_COLUMNS}, ${sortColumn} as page_sort_value,
      (select count(*)::int from projects p where (p.organization_id = $1)) as page_total
    from projects p where (p.organization_id = $1)
    order by ${sortColumn} desc, p.id desc limit $2 offset $3`;
  app.get<Params>('/api/user/organizations/:organizationId/projects', async (request) => {
    const { rows } = await project.query<ProjectRow & { page_sort_value: Date; page_total: number }>(projectsPage, [
      request.params.organizationId,
      DEFAULT_PAGE_LIMIT + 1,
      0,
    ]);
    const hasMore = rows.length > DEFAULT_PAGE_LIMIT;
    const items = rows.slice(0, DEFAULT_PAGE_LIMIT);
    const last = items.at(-1);
    const nextCursor =
      hasMore && last
        ? Buffer.from(JSON.stringify({ s: '-createdAt', v: last.page_sort_value.toISOString(), id: last.id })).toString(
            'base64url',
          )
        : null;
    // pg's Dates serialize to the same ISO strings as the service's.
    const data = items.map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      name: row.name,
      slug: row.slug,
      description: row.description,
      status: row.status,
      createdByUserId: row.created_by_user_id,
      createdByUser: { id: row.created_by_user_id, fullName: row.creator_name },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
    return successEnvelope(200, 'Projects fetched successfully', data, {
      offset: 0,
      limit: DEFAULT_PAGE_LIMIT,
      hasMore,
      nextCursor,
      total: rows[0]?.page_total ?? 0,
    });
  });
  app.post<Params>('/api/user/organizations/:organizationId/projects', async (request, reply) => {
    const id = newId();
    const { name } = request.body as { name: string };
    const { rows } = await project.query(
      `with p as (
         insert into projects (id, organization_id, name, slug, status, created_by_user_id, version, created_at, updated_at)
         values ($1, $2, $3, $4, 'draft', $5, 1, now(), now()) returning *)
       select ${projectView} from p left join users u on u.user_id = p.created_by_user_id`,
      [id, request.params.organizationId, name, `floor-${id.toLowerCase()}`, userId],
    );
    reply.code(201);
    return successEnvelope(201, 'Project created', rows[0]);
  });
}

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
