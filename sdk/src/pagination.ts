import { type FetchResult, unwrap } from './errors.js';

/** One page of a list: `data` its items, `meta.nextCursor` where the next one starts (null on the last). */
export interface ListPage<Item> {
  data: Item[];
  meta: { nextCursor?: string | null };
}

/**
 * Every item of a list, page after page, following `meta.nextCursor` (send it back as `cursor`
 * with the same filters and sort) until it is null. `fetchPage` makes one request for a cursor
 * (undefined for the first page); an error answer throws a GatehouseError.
 *
 *   for await (const project of paginate((cursor) =>
 *     client.GET('/api/user/organizations/{organizationId}/projects', {
 *       params: { path: { organizationId }, query: { cursor, limit: 100 } },
 *     }))) { … }
 */
export async function* paginate<Item>(
  fetchPage: (cursor: string | undefined) => Promise<FetchResult<ListPage<Item>>>,
): AsyncGenerator<Item, void, undefined> {
  let cursor: string | undefined;
  do {
    const result = await fetchPage(cursor);
    const items = unwrap(result);
    yield* items;
    cursor = result.data?.meta.nextCursor ?? undefined;
  } while (cursor);
}
