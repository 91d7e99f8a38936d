import { createGatehouseClient, type DataOf, type FetchResult, GatehouseError, unwrap } from '@gatehouse/sdk';
import { recordingMiddleware } from './calls';
import { stepUpMiddleware } from './step-up';

/**
 * The console's only way to the API: the typed SDK on this origin, with the browser keeping the
 * HttpOnly session cookie. Every request is recorded for the "Use the API" panel; one refused for a
 * stale second factor asks for it and is sent again (api/step-up.ts).
 */
export const api = createGatehouseClient({ baseUrl: window.location.origin, browser: true });
api.use(recordingMiddleware, stepUpMiddleware);

/** The `data` of a success answer; a GatehouseError (status, code, meta) for an error answer. */
export async function call<T extends object>(request: Promise<FetchResult<T>>): Promise<DataOf<T>> {
  return unwrap(await request);
}

/** A list answer: its items and where the next page starts (send `nextCursor` back as `cursor`). */
export async function callList<T extends object>(
  request: Promise<FetchResult<T>>,
): Promise<{ items: DataOf<T>; nextCursor: string | null; total: number | undefined }> {
  const result = await request;
  const items = unwrap(result);
  const meta = (result.data as { meta?: { nextCursor?: string | null; total?: number } } | undefined)?.meta;
  return { items, nextCursor: meta?.nextCursor ?? null, total: meta?.total };
}

export { GatehouseError };
