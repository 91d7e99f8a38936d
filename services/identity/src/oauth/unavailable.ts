import { isDatabaseUnavailable } from '@gatehouse/service-kit';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errorPage } from './pages.js';

/** What a person or a client is told while PostgreSQL is away, and when to come back. */
export const UNAVAILABLE = { message: 'The service is unavailable, retry shortly', retryAfterSeconds: '5' } as const;

/**
 * oidc-provider answers any failure it did not expect as a 500 `server_error`. When the cause
 * is PostgreSQL being unreachable, the honest answer is 503: `temporarily_unavailable` (RFC 6749
 * §4.1.2.1) for clients, the error page for a person, with Retry-After either way.
 */
export function answerUnavailable(provider: Provider) {
  const unavailable = new WeakSet<object>();
  provider.on('server_error', (koa, error) => {
    if (isDatabaseUnavailable(error)) unavailable.add(koa);
  });
  return async function dependencyUnavailable(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    if (!unavailable.has(koa)) return;
    koa.status = 503;
    koa.set('retry-after', UNAVAILABLE.retryAfterSeconds);
    if (koa.response.is('html')) koa.body = errorPage(UNAVAILABLE.message);
    else koa.body = { error: 'temporarily_unavailable', error_description: UNAVAILABLE.message };
  };
}
