import type { HttpApp } from '@gatehouse/service-kit/edge';

/**
 * The headers helmet 8's defaults set on every answer (what `@fastify/helmet` with `global: true`
 * set here), as one constant list: helmet's are the same for every request (no nonce, nothing read
 * from the request), but the plugin rebuilt its middleware from the options on each one.
 * Names are spelled and ordered as helmet writes them. gateway/test/edge-headers.test.ts holds this
 * list to what @fastify/helmet answers, so a helmet upgrade that changes a default fails there.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  [
    'Content-Security-Policy',
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  ],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

/**
 * Sets them on the raw response as helmet did, first thing: whatever the route or the upstream then
 * sets under the same name (the API reference's own CSP, say) replaces it.
 */
export function registerSecurityHeaders(app: HttpApp): void {
  app.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of SECURITY_HEADERS) raw.setHeader(name, value);
    done();
  });
}
