import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { HttpApp } from '@gatehouse/service-kit/edge';
import { renderApiReference } from '@scalar/client-side-rendering';
import { freshNonce, NONCE_PLACEHOLDER, referenceContentSecurityPolicy } from './csp.js';
import { scalarBundleFile } from './scalar-bundle.js';

export const DOCUMENT_PATH = '/openapi.json';
export const REFERENCE_PREFIX = '/docs';

const SCRIPT_PATH = 'js/scalar.js';

/**
 * The page, rendered once with a placeholder where each answer's nonce goes. The script is the
 * classic bundle at a relative path (so /docs/ loads /docs/js/scalar.js), started by one inline script.
 */
const REFERENCE_PAGE = renderApiReference({
  cdn: SCRIPT_PATH,
  pageTitle: 'Gatehouse API reference',
  nonce: NONCE_PLACEHOLDER,
  config: {
    url: DOCUMENT_PATH,
    withDefaultFonts: false,
    telemetry: false,
    proxyUrl: '',
    showDeveloperTools: 'never',
    agent: { disabled: true },
    _integration: 'fastify',
  },
});

/**
 * GET /openapi.json (the document, built on its first request) and GET /docs (Scalar's reference,
 * bundled in the npm package and served from here: no CDN, no web fonts, no telemetry, no proxy).
 * The 4.9 MB browser bundle is streamed from a file (see scalar-bundle.ts), never held in the heap.
 * Gateway routes: no credential, no route table, never proxied.
 */
export async function registerApiReference(app: HttpApp, buildDocument: () => object): Promise<void> {
  let body: string | undefined;
  app.get(DOCUMENT_PATH, async (_request, reply) => {
    body ??= JSON.stringify(buildDocument());
    return reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body);
  });

  await app.register(async (docs) => {
    // Every answer under /docs gets its own nonce, in its CSP and in the page.
    docs.addHook('onSend', async (_request, reply, payload) => {
      const nonce = freshNonce();
      reply.header('content-security-policy', referenceContentSecurityPolicy(nonce));
      return typeof payload === 'string' ? payload.replaceAll(NONCE_PLACEHOLDER, nonce) : payload;
    });
    // One route for /docs and /docs/ (the router ignores a trailing slash): the page's relative
    // script path needs the slash, so /docs is sent there.
    docs.get(`${REFERENCE_PREFIX}/`, { logLevel: 'warn' }, async (request, reply) => {
      const path = pathOf(request.url);
      if (!path.endsWith('/')) return reply.redirect(`${path}/`, 301);
      return reply.type('text/html; charset=utf-8').send(REFERENCE_PAGE);
    });
    docs.get(`${REFERENCE_PREFIX}/${SCRIPT_PATH}`, { logLevel: 'warn' }, async (_request, reply) => {
      const file = await scalarBundleFile();
      const { size } = await stat(file);
      return reply
        .type('application/javascript; charset=utf-8')
        .header('content-length', size)
        .send(createReadStream(file));
    });
  });
}

/** The path of a request's URL, its query dropped. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
