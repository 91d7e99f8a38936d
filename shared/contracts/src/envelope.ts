import type { ErrorCode } from './errors.js';

export interface ListMeta {
  total?: number;
  offset: number;
  limit: number;
  hasMore: boolean;
  nextCursor?: string | null;
}

export interface SuccessEnvelope<T = unknown> {
  success: true;
  status: number;
  code: 'OK';
  message: string;
  data: T;
  meta?: ListMeta | Record<string, unknown>;
}

export interface ErrorEnvelope {
  success: false;
  status: number;
  code: ErrorCode;
  message: string;
  meta?: Record<string, unknown>;
  requestId?: string;
}

export type Envelope<T = unknown> = SuccessEnvelope<T> | ErrorEnvelope;

export function successEnvelope<T>(
  status: number,
  message: string,
  data: T,
  meta?: SuccessEnvelope['meta'],
): SuccessEnvelope<T> {
  const body: SuccessEnvelope<T> = { success: true, status, code: 'OK', message, data };
  if (meta !== undefined) body.meta = meta;
  return body;
}

export function errorEnvelope(
  status: number,
  code: ErrorCode,
  message: string,
  requestId?: string,
  meta?: Record<string, unknown>,
): ErrorEnvelope {
  const body: ErrorEnvelope = { success: false, status, code, message };
  if (meta !== undefined) body.meta = meta;
  if (requestId !== undefined) body.requestId = requestId;
  return body;
}
