import type { IncomingHttpHeaders } from 'node:http';
import { INTERNAL_HEADER_PREFIX, PRINCIPAL_HEADER, SSO_STATE_COOKIE } from '@gatehouse/contracts';
import { injectTraceContext } from '@gatehouse/service-kit/edge';

/**
 * Never forwarded as the client sent them: secrets the gateway has already resolved (services never see
 * them), and a client's trace context (with tracing off a service would otherwise log a trace id the client
 * chose; with it on, the gateway's own span is the services' parent: injectTraceContext).
 */
const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  'cookie',
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'traceparent',
  'tracestate',
  'baggage',
]);

/** The only routes that read the SSO state cookie: discover, the OIDC callback, the SAML ACS. */
const SSO_PATH_PREFIX = '/api/auth/sso/';

/** The request's path without its query; a path of another route never carries the sign-in's state. */
export function isSsoPath(url: string | undefined): boolean {
  // The prefix holds no '?', so the URL starts with it exactly when its path does.
  return url?.startsWith(SSO_PATH_PREFIX) === true;
}

/**
 * The headers an upstream receives: the client's, minus anything claiming to be internal and
 * minus raw credentials and trace context, plus the signed principal, the request id, the client address and (tracing on)
 * the gateway's own traceparent.
 * For the authorization server (`oauth`), client credentials and its own cookies pass; the SSO
 * state cookie passes only to the SSO sign-in routes (`path`, the request's URL).
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  extra: {
    principalToken: string;
    requestId: string;
    clientIp: string;
    proto: string;
    host: string | undefined;
    path?: string;
  },
  oauth?: { sessionCookieName: string },
): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const name in incoming) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX) || DROPPED_HEADERS.has(name)) continue;
    headers[name] = incoming[name];
  }
  if (oauth) {
    // The authorization server authenticates clients itself (Basic auth, its own cookies);
    // only the Gatehouse session stays behind, already resolved into the principal.
    if (incoming.authorization) headers.authorization = incoming.authorization;
    const cookies = withoutCookie(incoming.cookie, oauth.sessionCookieName);
    if (cookies) headers.cookie = cookies;
  } else if (isSsoPath(extra.path)) {
    // An SSO sign-in's state cookie is no credential of the gateway's: identity checks it against the
    // sign-in. Other upstreams and routes have no use for it, so they never see it.
    const ssoState = onlyCookie(incoming.cookie, SSO_STATE_COOKIE);
    if (ssoState) headers.cookie = ssoState;
  }
  headers[PRINCIPAL_HEADER] = extra.principalToken;
  headers['x-request-id'] = extra.requestId;
  const forwarded = incoming['x-forwarded-for'];
  headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${extra.clientIp}` : extra.clientIp;
  headers['x-forwarded-proto'] = extra.proto;
  if (extra.host) headers['x-forwarded-host'] = extra.host;
  // With tracing on, the upstream's span is a child of the gateway's request span, not of the client's.
  injectTraceContext(headers);
  return headers;
}

function withoutCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0 && part.slice(0, part.indexOf('=')).trim() !== name);
  return kept.length > 0 ? kept.join('; ') : undefined;
}

function onlyCookie(header: string | undefined, name: string): string | undefined {
  const kept = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.slice(0, part.indexOf('=')).trim() === name);
  return kept.length > 0 ? kept.join('; ') : undefined;
}
