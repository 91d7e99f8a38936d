import { Resolver } from 'node:dns/promises';

/** What a TXT lookup found: the records' strings, or why there are none. */
export type TxtLookup = { records: string[] } | { failure: 'none' | 'unanswered'; detail: string };

/** Answers that mean "this name has no such record", as opposed to a lookup that did not get an answer. */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * A resolver for domain verification: DNS_SERVERS (`host:port`, comma-separated) when set, else the
 * system's. Bounded, so a silent server answers "unanswered" within seconds, not a hung request.
 */
export function verificationResolver(servers: string | undefined): Resolver {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  if (servers) resolver.setServers(servers.split(',').map((server) => server.trim()));
  return resolver;
}

/** The TXT strings at `name` (each record's chunks joined, as RFC 7208 §3.3 reads them). */
export async function lookupTxt(resolver: Resolver, name: string): Promise<TxtLookup> {
  try {
    const records = await resolver.resolveTxt(name);
    return { records: records.map((chunks) => chunks.join('')) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    return { failure: NO_RECORD.has(code) ? 'none' : 'unanswered', detail: code };
  }
}
