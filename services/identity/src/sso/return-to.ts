import { validationError } from '@gatehouse/contracts';
import type { IdentityConfig } from '../config.js';

/** Where a signed-in browser lands when `returnTo` is absent. */
export const DEFAULT_RETURN_TO = '/';

/** PUBLIC_URL's origin and the SSO_RETURN_TO_ORIGINS, the only places an SSO sign-in sends a browser. */
export function allowedReturnOrigins(
  config: Pick<IdentityConfig, 'PUBLIC_URL' | 'SSO_RETURN_TO_ORIGINS'>,
): Set<string> {
  const extra = config.SSO_RETURN_TO_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => new URL(origin).origin);
  return new Set([new URL(config.PUBLIC_URL).origin, ...extra]);
}

/** `//host` or `/\host`: a browser takes either for another site. */
function protocolRelative(path: string): boolean {
  if (/^\/[/\\]/.test(path)) return true;
  try {
    return /^\/[/\\]/.test(decodeURIComponent(path));
  } catch {
    return true;
  }
}

const refusedIn = (location: 'query' | 'body') => () =>
  validationError([{ field: 'returnTo', error: 'must be a path on this site or an allowed origin', location }]);

/**
 * Never an open redirect: a same-site path (`/…`, not `//…` nor `/\…`, in any encoding), or an absolute
 * http(s) URL on an allowed origin without credentials. Control characters, spaces and backslashes, which
 * browsers repair into other URLs, are refused outright. Answers the value to redirect to.
 */
export function checkReturnTo(
  config: Pick<IdentityConfig, 'PUBLIC_URL' | 'SSO_RETURN_TO_ORIGINS'>,
  value: string | undefined,
  location: 'query' | 'body' = 'query',
): string {
  const refused = refusedIn(location);
  if (value === undefined || value === '') return DEFAULT_RETURN_TO;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u0020\u007f\\]/.test(value) || value.length > 2048) throw refused();
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw refused();
  }
  if (value.startsWith('/')) {
    if (protocolRelative(value) || protocolRelative(decoded)) throw refused();
    const url = new URL(value, config.PUBLIC_URL);
    if (url.origin !== new URL(config.PUBLIC_URL).origin) throw refused();
    // What is checked is what is sent: dot segments (`/.//evil.com`, `/%2e%2e//evil.com`) resolve to `//…`.
    if (protocolRelative(url.pathname)) throw refused();
    return `${url.pathname}${url.search}${url.hash}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refused();
  }
  const absolute = /^https?:\/\/[^/]/i.test(value);
  if (!absolute || url.username || url.password || !allowedReturnOrigins(config).has(url.origin)) throw refused();
  return url.href;
}
