import { createGatehouseClient, GatehouseError, paginate, unwrap } from '@gatehouse/sdk';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedFetch } from '../support/contract-check.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * docs/quick-start.md "With the SDK", step by step, through the gateway: the same calls as the
 * page, and every answer checked against the OpenAPI document on the way (checkedFetch).
 */
let stack: Stack;
let baseUrl: string;
let apiKey: string;
let organizationId: string;

beforeAll(async () => {
  stack = await startStack();
  baseUrl = stack.urls.gateway;
});
afterAll(async () => {
  await stack?.close();
});

describe('Quick Start with the SDK', () => {
  const gatehouse = () => createGatehouseClient({ baseUrl, fetch: checkedFetch });
  let browser: ReturnType<typeof gatehouse>;

  it('Step 1 — creates an account', async () => {
    browser = gatehouse();
    const user = unwrap(
      await browser.POST('/api/auth/sign-up/email', {
        body: { email: 'you@example.com', password: 'a-long-secure-passphrase', name: 'Your Name' },
      }),
    );
    expect(user).toMatchObject({ email: 'you@example.com', fullName: 'Your Name' });
    await eventually(async () =>
      expect(stack.smtp.linkTo('you@example.com')).toMatch(/^https?:\/\/[^/]+\/verify-email\?token=/),
    );
  });

  it('Step 2 — signs in; the client keeps the session cookie', async () => {
    const answer = unwrap(
      await browser.POST('/api/auth/sign-in/email', {
        body: { email: 'you@example.com', password: 'a-long-secure-passphrase' },
      }),
    );
    // An account without a second factor is signed in at once (the other branch is the MFA step).
    if ('mfaRequired' in answer) throw new Error('no second factor was set up');
    expect(answer.user.email).toBe('you@example.com');
    expect(browser.sessionJar?.session).toBeTruthy();
    const me = unwrap(await browser.GET('/api/user/me'));
    expect(me.organizationCount).toBe(1);
  });

  it('Step 3 — issues a Personal Access Token, shown once', async () => {
    const created = unwrap(
      await browser.POST('/api/auth/api-key/create', {
        body: { name: 'CI deploy bot', expiresIn: 2592000, scopes: ['user:read', 'projects:read', 'projects:write'] },
      }),
    );
    expect(created.key).toMatch(/^ba_[A-Za-z0-9]{40,}$/);
    expect(created.scopes).toEqual(['user:read', 'projects:read', 'projects:write']);
    apiKey = created.key;
  });

  it('Step 4 — calls an account route and a tenant route with the key', async () => {
    const bot = createGatehouseClient({ baseUrl, apiKey, fetch: checkedFetch });
    const me = unwrap(await bot.GET('/api/user/me'));
    expect(me).toMatchObject({ email: 'you@example.com', handle: 'yourname', organizationCount: 1 });

    const [organization] = unwrap(await bot.GET('/api/user/organizations'));
    organizationId = organization!.id;
    const params = { path: { organizationId } };
    const projects = await bot.GET('/api/user/organizations/{organizationId}/projects', { params });
    expect(projects.data?.data).toEqual([]);
    expect(projects.data?.meta).toMatchObject({ total: 0, offset: 0, limit: 20, hasMore: false });

    const project = unwrap(
      await bot.POST('/api/user/organizations/{organizationId}/projects', { params, body: { name: 'Deploy target' } }),
    );
    expect(project).toMatchObject({ organizationId, name: 'Deploy target', slug: 'deploy-target', status: 'draft' });
  });

  it('Lists — follows nextCursor through every page', async () => {
    const bot = createGatehouseClient({ baseUrl, apiKey, fetch: checkedFetch });
    const params = { path: { organizationId } };
    for (const name of ['Alpha', 'Beta', 'Gamma', 'Delta'])
      unwrap(await bot.POST('/api/user/organizations/{organizationId}/projects', { params, body: { name } }));
    const names: string[] = [];
    for await (const project of paginate((cursor) =>
      bot.GET('/api/user/organizations/{organizationId}/projects', {
        params: { ...params, query: { cursor, limit: 2, sort: 'name' } },
      }),
    ))
      names.push(project.name);
    expect(names).toEqual(['Alpha', 'Beta', 'Delta', 'Deploy target', 'Gamma']);
  });

  it('Best practices — a 401 for a bad key or token, a 403 for a missing scope', async () => {
    const bad = createGatehouseClient({ baseUrl, apiKey: 'ba_not-a-real-key', fetch: checkedFetch });
    const refused = await bad.GET('/api/user/me');
    expect(refused.response.status).toBe(401);
    expect(refused.error).toMatchObject({ code: 'INVALID_API_KEY' });

    const app = createGatehouseClient({ baseUrl, accessToken: 'not-a-token', fetch: checkedFetch });
    const expired = await app.GET('/api/user/me');
    expect(expired.error).toMatchObject({ status: 401, code: 'INVALID_OR_EXPIRED_TOKEN' });
    expect(expired.response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

    const bot = createGatehouseClient({ baseUrl, apiKey, fetch: checkedFetch });
    const error = await bot
      .GET('/api/auth/api-key/list')
      .then(unwrap)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({
      status: 403,
      code: 'API_KEY_MISSING_SCOPES',
      meta: { requiredScopes: ['api-keys:read'] },
    });
  });

  it('Sign-out — the client forgets the session the API ended', async () => {
    unwrap(await browser.POST('/api/auth/sign-out'));
    expect(browser.sessionJar?.session).toBeUndefined();
    expect((await browser.GET('/api/user/me')).response.status).toBe(401);
  });
});
