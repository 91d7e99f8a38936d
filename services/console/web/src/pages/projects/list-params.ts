import { useCallback, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { isProjectStatus, type ProjectStatus } from './project-parts';

export const SORT_OPTIONS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: 'name', label: 'Name, A to Z' },
  { value: '-name', label: 'Name, Z to A' },
  { value: '-updatedAt', label: 'Recently updated' },
  { value: 'updatedAt', label: 'Least recently updated' },
] as const;
export type ProjectSort = (typeof SORT_OPTIONS)[number]['value'];

/** The API's own default order: left out of the URL so a plain link is the default list. */
const DEFAULT_SORT: ProjectSort = '-createdAt';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
export const MAX_SEARCH_LENGTH = 100;

export interface ListParams {
  q: string;
  sort: ProjectSort;
  status: ProjectStatus | '';
  /** Page size; `?limit=` in the URL (1–100) changes it, the screen offers no control for it. */
  limit: number;
}

function isSort(value: string | null): value is ProjectSort {
  return SORT_OPTIONS.some((option) => option.value === value);
}

/**
 * Search, sort, status and page size live in the URL query, so a reload or a shared link shows the
 * same list. Values the API would refuse (a hand-edited URL) fall back to the defaults.
 */
export function useListParams(): [ListParams, (change: Partial<ListParams>) => void] {
  const [search, setSearch] = useSearchParams();
  const sort = search.get('sort');
  const status = search.get('status');
  const limit = Number(search.get('limit'));
  const params: ListParams = {
    q: (search.get('q') ?? '').trim().slice(0, MAX_SEARCH_LENGTH),
    sort: isSort(sort) ? sort : DEFAULT_SORT,
    status: isProjectStatus(status) ? status : '',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT ? limit : DEFAULT_LIMIT,
  };
  // The query as last rendered or last asked for: two changes close together (a status picked while
  // a search is pending) each build on the other, not on whatever the last render saw.
  const latest = useRef(search);
  const rendered = useRef(search);
  if (rendered.current !== search) {
    // A new location (the memoized params change only with it): it is the latest now.
    rendered.current = search;
    latest.current = search;
  }
  const update = useCallback(
    (change: Partial<ListParams>) => {
      const next = new URLSearchParams(latest.current);
      for (const [name, value] of Object.entries(change)) {
        const isDefault =
          value === '' || (name === 'sort' && value === DEFAULT_SORT) || (name === 'limit' && value === DEFAULT_LIMIT);
        if (isDefault) next.delete(name);
        else next.set(name, String(value));
      }
      latest.current = next;
      // Typing a search must not leave one history entry per pause.
      setSearch(next, { replace: true });
    },
    [setSearch],
  );
  return [params, update];
}
