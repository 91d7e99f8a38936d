import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';

/** The console behind the gateway at `/`: its pages, its files, its headers, and the API kept apart. */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('the console at the gateway URL', () => {
  it('serves the app at / and at every page path, with a strict CSP and no caching of the page', async () => {
    for (const path of ['/', '/sign-in', '/orgs/01ARZ3NDEKTSV4RRFFQ69G5FAV/projects', '/account/api-keys?x=1']) {
      const res = await fetch(`${stack.urls.gateway}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
      expect(html).not.toMatch(/<script>(?!<)/);
    }
  });

  it('serves hashed assets as immutable, and a missing file is a 404 envelope, not the app', async () => {
    const html = await (await fetch(`${stack.urls.gateway}/`)).text();
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    const asset = await fetch(`${stack.urls.gateway}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    for (const path of [
      '/assets/nope.js',
      '/favicon.ico',
      '/assets/..%2f..%2fpackage.json',
      '/%2e%2e%2fpackage.json',
    ]) {
      const res = await fetch(`${stack.urls.gateway}${path}`);
      expect([400, 404], path).toContain(res.status);
      expect((await res.json()).success).toBe(false);
    }
    // A path that climbs is the app's page at most (URLs resolve `..` before any file is looked up).
    const climbing = await fetch(`${stack.urls.gateway}/assets/../../../../etc/passwd`);
    expect(await climbing.text()).not.toContain('root:');
    const stylesheet = await fetch(`${stack.urls.gateway}/styles/gatehouse.css`);
    expect(stylesheet.status).toBe(200);
    expect(stylesheet.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('never answers an API path with the app: unknown API routes stay API 404s', async () => {
    for (const path of ['/api/nope', '/.well-known/nope', '/api']) {
      const res = await fetch(`${stack.urls.gateway}${path}`);
      expect(res.status, path).toBe(404);
      expect((await res.json()).success).toBe(false);
    }
    // /scim/v2 is SCIM's: without the directory's token, a SCIM 401 document.
    const scim = await fetch(`${stack.urls.gateway}/scim/v2/Users`);
    expect(scim.status).toBe(401);
    expect(scim.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect((await scim.json()).schemas).toEqual([SCIM_SCHEMAS.error]);
  });

  it('judges a path as the console upstream would receive it: encoded API paths are never the app', async () => {
    for (const path of ['/%2e/api/user/me', '/api%5Cuser%5Cme', '/%73cim/v2/Users', '/%2Ewell-known/x', '/docs%2fx']) {
      const res = await fetch(`${stack.urls.gateway}${path}`);
      expect(res.headers.get('content-type'), path).not.toMatch(/text\/html/);
      const body = await res.json();
      expect(body.success === false || body.schemas?.[0] === SCIM_SCHEMAS.error, path).toBe(true);
    }
  });

  it('never repeats a query string in its 404 message (it may carry a token)', async () => {
    const res = await fetch(`${stack.urls.gateway}/scim/x?access_token=LEAKED`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('LEAKED');
  });

  it('serves only GET and HEAD; a write to a console path is refused', async () => {
    expect((await fetch(`${stack.urls.gateway}/sign-in`, { method: 'HEAD' })).status).toBe(200);
    const post = await fetch(`${stack.urls.gateway}/sign-in`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(404);
  });

  it('is ready while its built app is there: /readyz names the check, never the single-page fallback', async () => {
    const res = await fetch(`${stack.urls.console}/readyz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ data: { service: 'console', status: 'ready', checks: { app: 'up' } } });
  });

  it('sends the console no credential: cookies and keys stay at the gateway', async () => {
    const res = await fetch(`${stack.urls.console}/livez`);
    expect(res.status).toBe(200);
    // Through the gateway a page loads the same with or without a session cookie.
    const withCookie = await fetch(`${stack.urls.gateway}/`, {
      headers: { cookie: 'gatehouse_session=abc', 'x-api-key': 'ba_x' },
    });
    expect(withCookie.status).toBe(200);
  });

  it('answers 503 SERVICE_UNAVAILABLE when the console is down, and the API goes on', async () => {
    // Port 9 (discard) has no listener here: the console's upstream refuses the connection.
    const gateway = await stack.addGateway({ CONSOLE_URL: 'http://127.0.0.1:9' });
    const page = await fetch(`${gateway.url}/sign-in`);
    expect(page.status).toBe(503);
    expect(await page.json()).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    expect((await fetch(`${gateway.url}/api/user/me`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/livez`)).status).toBe(200);
  });
});
