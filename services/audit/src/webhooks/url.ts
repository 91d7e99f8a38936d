import { validationError } from '@gatehouse/contracts';
import ipaddr from 'ipaddr.js';
import { isPublicAddress } from '../endpoints/addresses.js';

/** Names that never lead to the public internet (RFC 6761 `localhost`, mDNS `.local`, `.internal` by convention). */
const PRIVATE_NAME_SUFFIXES = ['.localhost', '.internal', '.local'];

/** The literal address a URL's host is, or null for a name (WHATWG URL writes IPv4 as dotted decimal). */
function literalAddress(hostname: string): string | null {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return ipaddr.isValid(hostname) ? hostname : null;
}

function isPrivateName(hostname: string): boolean {
  const name = hostname.replace(/\.+$/, '');
  return name === 'localhost' || PRIVATE_NAME_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * Why an endpoint URL is refused, or null. This checks what the URL says; the addresses a name resolves to
 * are checked at every delivery (a name can be pointed elsewhere after registration: DNS rebinding).
 */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return allowPrivate ? 'must be an http or https URL' : 'must be an https URL';
  if (url.username || url.password) return 'must not carry a username or password';
  // An empty fragment (`…/#`) parses to an empty `hash`, so look at what was written.
  if (raw.includes('#')) return 'must not have a fragment';
  if (allowPrivate) return null;
  const address = literalAddress(url.hostname);
  if (address !== null) return isPublicAddress(address) ? null : 'must be on a public address';
  if (isPrivateName(url.hostname)) return 'must be on a public host';
  return null;
}

/** The endpoint URL as it will be requested, or 400 naming `url`. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  const problem = webhookUrlProblem(raw.trim(), allowPrivate);
  if (problem) throw validationError([{ field: 'url', error: problem, location: 'body' }]);
  return new URL(raw.trim()).href;
}
