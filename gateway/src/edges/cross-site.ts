import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '@gatehouse/contracts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cookie-authenticated writes from another site are refused (CSRF). Clients that send no
 * Origin and no Sec-Fetch-Site (curl with a cookie jar, server-side scripts) are served.
 */
export function checkCrossSite(
  method: string,
  headers: IncomingHttpHeaders,
  allowedOrigins: ReadonlySet<string>,
): void {
  if (!UNSAFE.has(method)) return;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  if (origin !== undefined) {
    if (origin === 'null' || !allowedOrigins.has(origin)) {
      throw new AppError('FORBIDDEN', 'Cross-site request refused: this origin is not allowed');
    }
    return;
  }
  if (headers['sec-fetch-site'] === 'cross-site') {
    throw new AppError('FORBIDDEN', 'Cross-site request refused');
  }
}
