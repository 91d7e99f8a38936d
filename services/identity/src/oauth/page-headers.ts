import { createHash } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

/**
 * The pages oidc-provider renders itself (logout, the form it posts for a browser without a
 * session, errors) get a Content-Security-Policy of their own: nothing external, the console's
 * stylesheet from this origin (no inline style), and only the inline scripts they carry (allowed by
 * hash), so the gateway's generic policy cannot break them.
 */
export function pageSecurityHeaders() {
  return async function pageSecurity(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    if (typeof koa.body !== 'string' || !koa.response.is('html')) return;
    const hashes = [...koa.body.matchAll(INLINE_SCRIPT)].map(
      (match) =>
        `'sha256-${createHash('sha256')
          .update(match[1] ?? '')
          .digest('base64')}'`,
    );
    koa.set(
      'content-security-policy',
      `default-src 'none'; style-src 'self'; script-src ${hashes.length > 0 ? hashes.join(' ') : "'none'"}; frame-ancestors 'none'; base-uri 'none'`,
    );
    koa.set('referrer-policy', 'same-origin');
    koa.set('cache-control', 'no-store');
  };
}
