import type { HttpApp } from '@gatehouse/service-kit';
import apiReference from '@scalar/fastify-api-reference';
import { freshNonce, NONCE_PLACEHOLDER, referenceContentSecurityPolicy } from './csp.js';

export const DOCUMENT_PATH = '/openapi.json';
export const REFERENCE_PREFIX = '/docs';

/**
 * GET /openapi.json (the document, built once at startup) and GET /docs (Scalar's reference,
 * bundled in the npm package and served from here: no CDN, no web fonts, no telemetry, no proxy).
 * Gateway routes: no credential, no route table, never proxied.
 */
export async function registerApiReference(app: HttpApp, document: object): Promise<void> {
  const body = JSON.stringify(document);
  app.get(DOCUMENT_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body),
  );

  await app.register(async (docs) => {
    // The page is rendered once by the plugin with a placeholder; each answer gets its own nonce.
    docs.addHook('onSend', async (_request, reply, payload) => {
      const nonce = freshNonce();
      reply.header('content-security-policy', referenceContentSecurityPolicy(nonce));
      return typeof payload === 'string' ? payload.replaceAll(NONCE_PLACEHOLDER, nonce) : payload;
    });
    await docs.register(apiReference, {
      routePrefix: REFERENCE_PREFIX,
      logLevel: 'warn',
      configuration: {
        url: DOCUMENT_PATH,
        pageTitle: 'Gatehouse API reference',
        nonce: NONCE_PLACEHOLDER,
        withDefaultFonts: false,
        telemetry: false,
        proxyUrl: '',
        showDeveloperTools: 'never',
        agent: { disabled: true },
      },
    });
  });
}
