import type { AddressInfo } from 'node:net';
import { buildOpenApiDocument } from '@gatehouse/contracts/openapi';
import type { HttpApp } from '@gatehouse/service-kit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../gateway/src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../../gateway/src/deps.js';
import { standaloneGatewayConfig } from '../../gateway/test/standalone.js';
import { launchBrowser } from '../support/browser.js';
import { compileEveryAnswerSchema } from '../support/contract-check.js';

const PUBLIC_URL = 'https://api.example.com';

let gateway: { app: HttpApp; deps: GatewayDeps };
let base: string;
let browser: Browser;

beforeAll(async () => {
  // The reference needs no service: the document is built from the contracts at startup.
  const deps = await createGatewayDeps(await standaloneGatewayConfig({ PUBLIC_URL }));
  gateway = { app: await buildGateway(deps), deps };
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gateway?.app.close();
  await gateway?.deps.close();
});

describe('GET /openapi.json', () => {
  it('is the document of the contracts, for the public URL, with no credential', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as { servers: unknown };
    expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument({ publicUrl: PUBLIC_URL }))));
    expect(document.servers).toEqual([{ url: PUBLIC_URL }]);
  });

  it('declares answers whose every schema compiles (JSON Schema 2020-12, ajv)', () => {
    expect(compileEveryAnswerSchema()).toBeGreaterThan(100);
  });
});

describe('GET /docs', () => {
  it('serves the page from the gateway, with a fresh nonce and a CSP of this origin only', async () => {
    const [first, second] = await Promise.all([fetch(`${base}/docs/`), fetch(`${base}/docs/`)]);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = first.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/https?:|\*|unsafe-eval/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(second.headers.get('content-security-policy')).not.toBe(csp);
    const html = await first.text();
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toContain('gatehouse-docs-nonce');
    expect(html).toContain('js/scalar.js');
  });

  it('renders in a browser from this origin alone, without a CSP violation', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const violations: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    // Chromium asks for /favicon.ico on its own (a 404 envelope); it is not the page's.
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/docs`, { waitUntil: 'networkidle' });
    await page.getByText('Gatehouse API').first().waitFor({ timeout: 20_000 });
    await page.getByText('Projects').first().waitFor({ timeout: 20_000 });
    await page.close();
    expect(violations).toEqual([]);
    const origins = new Set(requested.filter((url) => !url.startsWith('data:')).map((url) => new URL(url).origin));
    expect([...origins]).toEqual([base]);
    expect(requested).toEqual(expect.arrayContaining([`${base}/docs/js/scalar.js`, `${base}/openapi.json`]));
  }, 60_000);
});
