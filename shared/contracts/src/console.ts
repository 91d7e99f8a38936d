/**
 * What the gateway keeps for the API; every other GET is the web console's (services/console),
 * so the console can never shadow an API path and an unknown API path is an API 404.
 */
export const API_PREFIXES = ['/api', '/oauth2', '/scim', '/.well-known'] as const;

/** The gateway's own pages and probes, besides the API prefixes. */
const GATEWAY_PATHS = ['/docs', '/openapi.json', '/livez', '/healthz', '/readyz', '/metrics'];

/**
 * Judged on the path as the upstream will receive it (the proxy resolves `%2e`, `\\` and dot
 * segments), decoded, so `/%2e/api/…` or `/%73cim` is an API path here too. Unreadable: not the console's.
 */
export function isConsolePath(path: string): boolean {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(path, 'http://console.invalid').pathname).replaceAll('\\', '/');
  } catch {
    return false;
  }
  const under = (prefix: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);
  return !API_PREFIXES.some(under) && !GATEWAY_PATHS.some(under);
}
