import { newId, type Principal } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentUser, UserSchema } from '../src/users/entities.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/*
 * The hand-written reads of the hot paths (users/view.ts, sessions/sign-in-lookup.ts) answer exactly what
 * the entity reads answered, and the password sign-in keeps the SSO rule it had (sso-policy/policy.ts):
 * an organization requiring SSO for a domain refuses every password of it, its owners' right one excepted.
 */

let h: IdentityHarness;
const anonymous = { kind: 'anonymous' } as const;
const PASSWORD = 'a-long-secure-passphrase';
const DOMAIN = 'sso-lookup.example.test';
const organizationId = newId();

async function post(url: string, body: unknown) {
  return h.service.app.inject({ method: 'POST', url, payload: body as object, headers: await h.service.as(anonymous) });
}

async function signUp(email: string, name: string): Promise<string> {
  const res = await post('/api/auth/sign-up/email', { email, password: PASSWORD, name });
  expect(res.statusCode).toBe(200);
  return res.json().data.id;
}

const sql = (query: string, params: unknown[] = []) =>
  h.service.deps.orm.em.fork().getConnection().execute(query, params);

function patOf(userId: string): Principal {
  return {
    kind: 'api_key',
    userId,
    credentialId: newId(),
    scopes: ['user:read'],
    organizationId: null,
    role: 'user',
  } as Principal;
}

let ownerId: string;
let memberId: string;

beforeAll(async () => {
  h = await startIdentity();
  ownerId = await signUp(`owner@${DOMAIN}`, 'Olive Owner');
  memberId = await signUp(`member@${DOMAIN}`, 'Mel Member');
  await sql(`insert into user_memberships (organization_id, user_id, role) values (?, ?, 'owner'), (?, ?, 'member')`, [
    organizationId,
    ownerId,
    organizationId,
    memberId,
  ]);
});
afterAll(async () => {
  await h?.close();
});

describe('identity: GET /me read by hand', () => {
  it('answers what the entity and the membership count answer', async () => {
    // A login moves lastLoginAt and updatedAt, so every field has a value worth comparing.
    expect((await post('/api/auth/sign-in/email', { email: `owner@${DOMAIN}`, password: PASSWORD })).statusCode).toBe(
      200,
    );
    await sql(`update users set is_verified = true, verified_at = now() where id = ?`, [ownerId]);
    const res = await h.service.app.inject({
      method: 'GET',
      url: '/api/user/me',
      headers: await h.service.as(patOf(ownerId)),
    });
    expect(res.statusCode).toBe(200);
    const em = h.service.deps.orm.em.fork();
    const entity = await em.findOneOrFail(UserSchema, { id: ownerId });
    expect(res.json().data).toEqual(presentUser(entity, 1));
    expect(res.json().data.verifiedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('gives a principal whose account is gone the token answer', async () => {
    const res = await h.service.app.inject({
      method: 'GET',
      url: '/api/user/me',
      headers: await h.service.as(patOf(newId())),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('INVALID_OR_EXPIRED_TOKEN');
  });
});

describe('identity: password sign-in read in one statement', () => {
  it('answers the user with its organization count', async () => {
    const res = await post('/api/auth/sign-in/email', {
      email: ` Member@${DOMAIN.toUpperCase()} `,
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.user).toMatchObject({ id: memberId, email: `member@${DOMAIN}`, organizationCount: 1 });
  });

  describe('when the organization requires SSO for the domain', () => {
    beforeAll(async () => {
      const now = new Date();
      await sql(
        `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
         values (?, ?, ?, 'token', ?, ?)`,
        [newId(), organizationId, DOMAIN, now, now],
      );
      await sql(
        `insert into sso_connections (id, organization_id, type, name, enabled, domains, sso_required, created_at, updated_at, version)
         values (?, ?, 'oidc', 'Lookup IdP', true, ?, true, ?, ?, 1)`,
        [newId(), organizationId, `{${DOMAIN}}`, now, now],
      );
    });

    it('refuses a member’s right password, a wrong one and an unknown address alike', async () => {
      const answers = await Promise.all([
        post('/api/auth/sign-in/email', { email: `member@${DOMAIN}`, password: PASSWORD }),
        post('/api/auth/sign-in/email', { email: `member@${DOMAIN}`, password: 'not-the-passphrase' }),
        post('/api/auth/sign-in/email', { email: `nobody@${DOMAIN}`, password: PASSWORD }),
        post('/api/auth/sign-in/email', { email: `owner@${DOMAIN}`, password: 'not-the-passphrase' }),
      ]);
      for (const res of answers) {
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({
          code: 'SSO_REQUIRED',
          meta: { ssoRedirectUrl: expect.stringContaining('/api/auth/sso/discover') },
        });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('lets an owner in with the right password (break-glass)', async () => {
      const res = await post('/api/auth/sign-in/email', { email: `owner@${DOMAIN}`, password: PASSWORD });
      expect(res.statusCode).toBe(200);
      expect(res.json().data.user).toMatchObject({ id: ownerId, organizationCount: 1 });
    });

    it('leaves other domains alone', async () => {
      await signUp('elsewhere@example.com', 'Elsie Where');
      const res = await post('/api/auth/sign-in/email', { email: 'elsewhere@example.com', password: PASSWORD });
      expect(res.statusCode).toBe(200);
      expect(res.json().data.user.organizationCount).toBe(0);
    });
  });
});
