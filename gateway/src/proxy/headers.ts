import type { IncomingHttpHeaders } from 'node:http';
import { INTERNAL_HEADER_PREFIX, PRINCIPAL_HEADER } from '@gatehouse/contracts';

/** Secrets the gateway has already resolved; services never see them. */
const CREDENTIAL_HEADERS = ['cookie', 'x-api-key', 'authorization'];

/**
 * The headers an upstream receives: the client's, minus anything claiming to be internal and
 * minus raw credentials, plus the signed principal, the request id and the client address.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  extra: { principalToken: string; requestId: string; clientIp: string; proto: string; host: string | undefined },
): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX) || CREDENTIAL_HEADERS.includes(name)) continue;
    headers[name] = value;
  }
  headers[PRINCIPAL_HEADER] = extra.principalToken;
  headers['x-request-id'] = extra.requestId;
  const forwarded = incoming['x-forwarded-for'];
  headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${extra.clientIp}` : extra.clientIp;
  headers['x-forwarded-proto'] = extra.proto;
  if (extra.host) headers['x-forwarded-host'] = extra.host;
  return headers;
}
