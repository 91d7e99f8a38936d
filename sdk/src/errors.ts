import type { components } from './schema.js';

export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];
export type ErrorCode = components['schemas']['ErrorCode'];

/** An error answer of the API, thrown by `unwrap`: match on `code`, never on the message. */
export class GatehouseError extends Error {
  readonly status: number;
  readonly code: ErrorCode | undefined;
  readonly requestId: string | undefined;
  readonly meta: Record<string, unknown> | undefined;

  constructor(status: number, envelope: Partial<ErrorEnvelope> | undefined) {
    super(envelope?.message ?? `HTTP ${status}`);
    this.name = 'GatehouseError';
    this.status = status;
    this.code = envelope?.code;
    this.requestId = envelope?.requestId;
    this.meta = envelope?.meta;
  }
}

/** What an openapi-fetch call resolves to. */
export interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** What `data` holds in a success envelope of type T (null where the answer carries none). */
export type DataOf<T> = T extends { data: infer D } ? D : null;

/** The `data` of a success envelope, or a GatehouseError for an error answer. */
export function unwrap<T extends object>(result: FetchResult<T>): DataOf<T> {
  if (result.data === undefined || !result.response.ok) {
    const error = result.error as Partial<ErrorEnvelope> | undefined;
    throw new GatehouseError(result.response.status, typeof error === 'object' ? error : undefined);
  }
  return ((result.data as { data?: unknown }).data ?? null) as DataOf<T>;
}
