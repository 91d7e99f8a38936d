/**
 * The floors `pnpm bench` measures Gatehouse against, each in its own process; FLOOR says which:
 *   service — bare fastify + pg: GET /api/user/me (one primary-key query), and a projects page (one keyset
 *             query) and create (one insert), answering the same envelope and shapes as identity and project;
 *   proxy   — a bare @fastify/http-proxy in front of UPSTREAM.
 * No auth, no hooks, no ORM: what the same work costs with nothing else in the way.
 */
import httpProxy from '@fastify/http-proxy';
import { DEFAULT_PAGE_LIMIT, newId, successEnvelope } from '@gatehouse/contracts';
import Fastify from 'fastify';
import pg from 'pg';

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
  app.get<Params>('/api/user/organizations/:organizationId/projects', async (request) => {
    const { rows } = await project.query(
      `select ${projectView} from projects p left join users u on u.user_id = p.created_by_user_id
       where p.organization_id = $1 order by p.created_at desc, p.id desc limit $2`,
      [request.params.organizationId, DEFAULT_PAGE_LIMIT + 1],
    );
    const hasMore = rows.length > DEFAULT_PAGE_LIMIT;
    return successEnvelope(200, 'Projects fetched successfully', rows.slice(0, DEFAULT_PAGE_LIMIT), {
      limit: DEFAULT_PAGE_LIMIT,
      hasMore,
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
