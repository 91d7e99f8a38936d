import { isIP } from 'node:net';
import { isPublicAddress } from './addresses.js';

/** Names that never lead to the public internet (RFC 6761 `localhost`, mDNS `.local`, `.internal` by convention). */
const PRIVATE_NAME_SUFFIXES = ['.localhost', '.local', '.internal'];

function isPrivateName(hostname: string): boolean {
  const name = hostname.replace(/\.+$/, '');
  return name === 'localhost' || PRIVATE_NAME_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * Why an endpoint URL is not registered or delivered to, or null: the one rule both apply. It judges what the
 * URL says; the addresses a name resolves to are checked on every connection (DNS can change after registration).
 * WHATWG URL already wrote any IPv4 form (`0x7f.1`, `2130706433`) as dotted decimal, so `isIP` sees every literal.
 */
export function webhookUrlProblem(url: URL, allowPrivate: boolean): string | null {
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    return allowPrivate ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (url.username || url.password) return 'must not carry a username or password';
  // An empty fragment (`…/#`) has an empty `hash` but stays in `href`; `#` anywhere else is percent-encoded.
  if (url.href.includes('#')) return 'must not have a fragment';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return isPublicAddress(host) ? null : 'must be on a public address';
  if (isPrivateName(host)) return 'must be on a public host';
  return null;
}
