import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../pagination.js';
import type { JsonSchema } from './json-schema.js';

export const LIST_META: JsonSchema = {
  type: 'object',
  description: [
    'The position of one page of a list. Page by offset (`offset`, `limit`; `total` counts every match)',
    'or by cursor (send `nextCursor` back as `cursor` until it is null; `total` is absent on cursor pages).',
  ].join(' '),
  required: ['offset', 'limit', 'hasMore'],
  properties: {
    total: { type: 'integer', minimum: 0, description: 'Every item that matches (offset pages only).' },
    offset: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT },
    hasMore: { type: 'boolean', description: 'Whether another page follows.' },
    nextCursor: {
      type: ['string', 'null'],
      description: 'Send it as `cursor` for the next page; null on the last page.',
    },
  },
  additionalProperties: false,
};

export const PAGINATION_GUIDE = [
  '**Lists.** `data` is one page of items and `meta` its position (ListMeta).',
  `Page by offset: \`offset\` (default 0) and \`limit\` (default ${DEFAULT_PAGE_LIMIT}, at most ${MAX_PAGE_LIMIT}); \`meta.total\` counts every match.`,
  'Or by cursor: send `meta.nextCursor` back as `cursor` (with the same `sort`, `q` and filters) until it is null; cursor pages are stable while items are added.',
  '`sort` names a field (`name`) or its descending order (`-name`), among the ones the list declares; `q`, where a list declares it, is a case-insensitive substring (wildcards literal).',
  'A query field the list does not declare is refused with 400 naming it.',
].join(' ');
