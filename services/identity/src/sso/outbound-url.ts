import { lookup as lookupCallback } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';

/** What a host name resolves to: every address, as `dns.lookup` (and so `fetch`) would connect. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

const systemResolve: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** Addresses identity must never be steered to by an admin-supplied URL (SSRF): its own host and networks. */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}
// An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is checked against the IPv4 rules by BlockList itself.

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

export function isInternalAddress(address: string): boolean {
  return INTERNAL.check(address, family(address));
}

/**
 * Why identity may not fetch `text` (an OIDC issuer or an endpoint its discovery names), or null.
 * https only, http for a loopback host; no credentials or fragment; and, unless `allowPrivate`
 * (tests, local development), no host that resolves to a loopback, private, link-local,
 * unique-local or CGNAT address — checked on the resolved addresses, so a public name pointing
 * inside is refused too.
 */
export async function outboundUrlProblem(
  text: string,
  allowPrivate: boolean,
  resolve: ResolveHost = systemResolve,
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username || url.password || url.hash) return 'must not carry credentials or a fragment';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // Allowed anywhere, an https name needs no look-up (nor DNS that answers: tests use names like idp.example).
  if (allowPrivate && url.protocol === 'https:' && !isIP(hostname)) return null;
  let addresses: string[];
  try {
    addresses = isIP(hostname) ? [hostname] : await resolve(hostname);
  } catch {
    return 'must name a host that resolves';
  }
  if (addresses.length === 0) return 'must name a host that resolves';
  const loopback = addresses.every((address) => LOOPBACK.check(address, family(address)));
  if (url.protocol === 'http:' && !loopback) return 'must be an https URL (http only for a loopback host)';
  if (!allowPrivate && addresses.some(isInternalAddress)) {
    return 'must not point to a loopback, private or link-local address';
  }
  return null;
}

/**
 * The look-up the connection itself uses: the addresses it is about to connect to are checked again,
 * so a name that resolved to a public address for outboundUrlProblem and to an internal one a moment
 * later (DNS rebinding) is still refused.
 */
export function pinnedLookup(allowPrivate: boolean, resolve: typeof lookupCallback = lookupCallback): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const found = addresses as unknown as { address: string; family: number }[];
      if (!allowPrivate && found.some((entry) => isInternalAddress(entry.address))) {
        const refused = Object.assign(new Error(`${hostname} resolves to an internal address`), {
          code: 'EREFUSEDINTERNAL',
        });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof found) => void)(null, found);
      const first = found[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** The dispatcher every IdP request goes through: its connections use pinnedLookup. */
export function idpDispatcher(allowPrivate: boolean): Agent {
  return new Agent({ connect: { lookup: pinnedLookup(allowPrivate) } });
}
