import type { JsonSchema } from './json-schema.js';
import { ref } from './refs.js';

/** Headers every /api answer carries, and those of retryable refusals. */
export const HEADERS: Record<string, { description: string; schema: JsonSchema }> = {
  'X-Request-Id': {
    description:
      "The request's id: yours when you sent a sane `X-Request-Id`, else a fresh ULID. Quote it when reporting a problem.",
    schema: { type: 'string' },
  },
  'RateLimit-Limit': {
    description: 'The size of the tightest rate limit this request counted against.',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in that limit before 429.',
    schema: { type: 'integer' },
  },
  'RateLimit-Reset': {
    description: 'Seconds until that limit is full again.',
    schema: { type: 'integer' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (429 and 503).',
    schema: { type: 'integer' },
  },
};

export const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] as const;

/** The headers of an answer: the request id always, the rate limit on /api, Retry-After when retryable. */
export function answerHeaders(options: { rateLimited: boolean; retryable: boolean }): Record<string, unknown> {
  const names = [
    'X-Request-Id',
    ...(options.rateLimited ? RATE_LIMIT_HEADERS : []),
    ...(options.retryable ? ['Retry-After'] : []),
  ];
  return Object.fromEntries(names.map((name) => [name, ref('headers', name)]));
}
