import { unwrap } from '@gatehouse/sdk';
import { useQuery } from '@tanstack/react-query';
import { api, callList } from '../../api/client';
import { organizationKey } from '../../api/organizations';

/** The SSO screens' reads: an organization's domains and connections, and one connection with its version. */

const DOMAINS = '/api/user/organizations/{organizationId}/domains' as const;
const CONNECTIONS = '/api/user/organizations/{organizationId}/sso-connections' as const;
const CONNECTION = '/api/user/organizations/{organizationId}/sso-connections/{connectionId}' as const;
/** An organization has a handful of each; following cursors past this many pages would be a bug. */
const MAX_PAGES = 20;

export const domainsKey = (organizationId: string) => [...organizationKey(organizationId), 'sso', 'domains'] as const;
export const connectionsKey = (organizationId: string) =>
  [...organizationKey(organizationId), 'sso', 'connections'] as const;
export const connectionKey = (organizationId: string, connectionId: string) =>
  [...connectionsKey(organizationId), connectionId] as const;

async function allDomains(organizationId: string) {
  const loaded = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { items, nextCursor } = await callList(
      api.GET(DOMAINS, { params: { path: { organizationId }, query: { limit: 100, sort: 'domain', cursor } } }),
    );
    loaded.push(...items);
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return loaded;
}

async function allConnections(organizationId: string) {
  const loaded = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { items, nextCursor } = await callList(
      api.GET(CONNECTIONS, { params: { path: { organizationId }, query: { limit: 100, sort: 'name', cursor } } }),
    );
    loaded.push(...items);
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return loaded;
}

/** Every domain the organization added (the connection form offers them all, so no paging here). */
export function useDomains(organizationId: string) {
  return useQuery({ queryKey: domainsKey(organizationId), queryFn: () => allDomains(organizationId) });
}

export function useConnections(organizationId: string) {
  return useQuery({ queryKey: connectionsKey(organizationId), queryFn: () => allConnections(organizationId) });
}

export type Domain = Awaited<ReturnType<typeof allDomains>>[number];
export type Connection = Awaited<ReturnType<typeof allConnections>>[number];

/** A connection and its ETag: an edit sends it as If-Match, so a change made meanwhile is refused, not overwritten. */
export async function readConnection(organizationId: string, connectionId: string) {
  const result = await api.GET(CONNECTION, { params: { path: { organizationId, connectionId } } });
  return { connection: unwrap(result), etag: result.response.headers.get('etag') ?? undefined };
}

export function useConnection(organizationId: string, connectionId: string) {
  return useQuery({
    queryKey: connectionKey(organizationId, connectionId),
    queryFn: () => readConnection(organizationId, connectionId),
  });
}

/**
 * The API names list items by index (`domains/0`, `idpCertificates/1`): the first problem with any
 * item of the list, for the one control that edits it.
 */
export function listFieldError(errors: Record<string, string>, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const key = Object.keys(errors).find((name) => name.startsWith(`${field}/`) || name.startsWith(`${field}[`));
  return key ? errors[key] : undefined;
}
