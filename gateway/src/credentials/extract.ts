import type { IncomingHttpHeaders } from 'node:http';
import { AppError, SCIM_TOKEN_PREFIX } from '@gatehouse/contracts';

export type PresentedCredential =
  | { kind: 'api_key'; secret: string }
  | { kind: 'oauth'; secret: string }
  | { kind: 'session'; secret: string }
  | { kind: 'scim'; secret: string };

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

/**
 * The credential a request presents, by precedence: X-Api-Key, then Authorization: Bearer,
 * then the session cookie. A present but empty header is its own error (NO_TOKEN_PROVIDED).
 */
export function extractCredential(headers: IncomingHttpHeaders, cookieName: string): PresentedCredential | null {
  const apiKey = single(headers['x-api-key']);
  if (apiKey !== undefined) {
    if (apiKey.trim() === '') throw new AppError('NO_TOKEN_PROVIDED', 'The X-Api-Key header is empty');
    return { kind: 'api_key', secret: apiKey.trim() };
  }
  const authorization = single(headers.authorization);
  if (authorization !== undefined) {
    const match = authorization.match(/^Bearer\s*(.*)$/i);
    if (!match) throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'Authorization must use the Bearer scheme');
    const token = (match[1] ?? '').trim();
    if (token === '') throw new AppError('NO_TOKEN_PROVIDED', 'The Authorization header carries no token');
    // A directory's SCIM token is opaque and prefixed; every other bearer token is an OAuth access token (a JWT).
    if (token.startsWith(SCIM_TOKEN_PREFIX)) return { kind: 'scim', secret: token };
    return { kind: 'oauth', secret: token };
  }
  const session = cookieValue(single(headers.cookie), cookieName);
  if (session) return { kind: 'session', secret: session };
  return null;
}
