import { type LookupAddress, lookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isPublicAddress } from '../endpoints/addresses.js';
import { webhookUrlProblem } from '../endpoints/urls.js';

/** Every address a host name resolves to, as `dns.lookup(host, {all: true})` answers (replaceable in tests). */
export type LookupAll = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export const systemLookupAll: LookupAll = (hostname, callback) =>
  lookup(hostname, { all: true, verbatim: true }, callback);

/** A connection refused before it was made: its host is (or resolves to) an address that is not public. */
export class AddressNotPublicError extends Error {
  readonly code = 'EADDRNOTPUBLIC';
  constructor(readonly address: string) {
    super(`address ${address} is not public`);
  }
}

/**
 * The look-up the connection itself uses: every address the name resolves to must be public, and the socket
 * connects to one of exactly those — so a name that answers a public address once and a private one the next
 * time (DNS rebinding) is checked on the address actually connected to.
 */
export function guardedLookup(allowPrivate: boolean, lookupAll: LookupAll = systemLookupAll): LookupFunction {
  return (hostname, options, callback) => {
    lookupAll(hostname, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((entry) => !isPublicAddress(entry.address));
      if (refused) return callback(new AddressNotPublicError(refused.address), '', 0);
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
      const usable = family ? addresses.filter((entry) => entry.family === family) : addresses;
      const first = usable[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return callback(null, usable);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Why a URL is not delivered to, or null: the rule endpoints were registered under (an endpoint saved before
 * a stricter rule, or written some other way, is still refused), worded for the delivery log. It also checks a
 * literal IP here, because the socket never looks one up.
 */
export function urlProblem(url: URL, allowPrivate: boolean): string | null {
  const problem = webhookUrlProblem(url, allowPrivate);
  return problem === null ? null : `the URL ${problem}`;
}
