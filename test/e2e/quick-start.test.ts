import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * seed/quick-start.txt, step by step, through the gateway, with the bodies as printed. The page's
 * "[email protected]" is the email-obfuscation placeholder of the published page, not an
 * address; a real address (you@example.com) stands in for it (docs/quick-start.md).
 */
let stack: Stack;
let browser: ApiClient;
let apiKey: string;
let organizationId: string;

beforeAll(async () => {
  stack = await startStack();
  browser = new ApiClient(stack.urls.gateway);
});
afterAll(async () => {
  await stack?.close();
});

describe('Quick Start', () => {
  it('Step 1 — creates an account, provisions an organization and sends a verification email', async () => {
    const res = await browser.post('/api/auth/sign-up/email', {
      email: 'you@example.com',
      password: 'a-long-secure-passphrase',
      name: 'Your Name',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      status: 200,
      code: 'OK',
      data: { email: 'you@example.com', fullName: 'Your Name' },
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    await eventually(async () =>
      expect(stack.smtp.linkTo('you@example.com')).toMatch(/^https?:\/\/[^/]+\/verify-email\?token=/),
    );
  });

  it('Step 2 — signs in and captures the session cookie', async () => {
    const res = await browser.post('/api/auth/sign-in/email', {
      email: 'you@example.com',
      password: 'a-long-secure-passphrase',
    });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()[0]).toMatch(/^gatehouse_session=.+; .*HttpOnly/);
    const me = await browser.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.message).toBe('User fetched successfully');
    expect(me.body.data.organizationCount).toBe(1);
  });

  it('Step 3 — issues a Personal Access Token, shown once', async () => {
    const res = await browser.post('/api/auth/api-key/create', {
      name: 'CI deploy bot',
      expiresIn: 2592000,
      scopes: ['user:read', 'projects:read', 'projects:write'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      status: 200,
      code: 'OK',
      message: 'API key created',
      data: { name: 'CI deploy bot', scopes: ['user:read', 'projects:read', 'projects:write'] },
    });
    expect(res.body.data.id).toMatch(/^ak_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.body.data.key).toMatch(/^ba_[A-Za-z0-9]{40,}$/);
    const expiresAt = Date.parse(res.body.data.expiresAt);
    expect(Math.abs(expiresAt - (Date.now() + 2592000 * 1000))).toBeLessThan(60_000);
    apiKey = res.body.data.key;

    const list = await browser.get('/api/auth/api-key/list');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].start).toBe(apiKey.slice(0, 9));
    expect(JSON.stringify(list.body)).not.toContain(apiKey);
  });

  it('Step 4 — calls an account route and a tenant route with X-Api-Key', async () => {
    const bot = new ApiClient(stack.urls.gateway, { 'X-Api-Key': apiKey });
    const me = await bot.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.message).toBe('User fetched successfully');
    expect(Object.keys(me.body.data).sort()).toEqual(
      [
        'id',
        'email',
        'fullName',
        'handle',
        'isVerified',
        'verifiedAt',
        'isActive',
        'lastLoginAt',
        'role',
        'organizationCount',
        'createdAt',
        'updatedAt',
      ].sort(),
    );
    expect(me.body.data).toMatchObject({
      email: 'you@example.com',
      fullName: 'Your Name',
      handle: 'yourname',
      isActive: true,
      role: 'user',
      organizationCount: 1,
    });

    const organizations = await bot.get('/api/user/organizations');
    expect(organizations.status).toBe(200);
    expect(organizations.body.data).toHaveLength(1);
    organizationId = organizations.body.data[0].id;
    expect(organizationId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);

    const projects = await bot.get(`/api/user/organizations/${organizationId}/projects`);
    expect(projects.status).toBe(200);
    expect(projects.body).toMatchObject({
      success: true,
      data: [],
      meta: { total: 0, offset: 0, limit: 20, hasMore: false },
    });

    const created = await bot.post(`/api/user/organizations/${organizationId}/projects`, { name: 'Deploy target' });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      organizationId,
      name: 'Deploy target',
      slug: 'deploy-target',
      status: 'draft',
      createdByUser: { fullName: 'Your Name' },
    });
  });

  it('Best practices — a 401 for a bad key, a 403 for a missing scope', async () => {
    const bad = await new ApiClient(stack.urls.gateway, { 'X-Api-Key': 'ba_not-a-real-key' }).get('/api/user/me');
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ success: false, status: 401, code: 'INVALID_API_KEY' });
    expect(bad.body.requestId).toBe(bad.headers.get('x-request-id'));
    const bot = new ApiClient(stack.urls.gateway, { 'X-Api-Key': apiKey });
    const keys = await bot.get('/api/auth/api-key/list');
    expect(keys.status).toBe(403);
    expect(keys.body).toMatchObject({ code: 'API_KEY_MISSING_SCOPES', meta: { requiredScopes: ['api-keys:read'] } });
  });
});
