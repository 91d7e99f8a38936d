import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import type { AuditFilters } from './audit-api';
import { familyPattern } from './families';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_SEARCH_LENGTH = 100;

/**
 * The log's filters live in the URL query, so a reload or a shared link shows the same records.
 * A value the API would refuse (a hand-edited URL) is dropped: an unknown family, a malformed day.
 */
export function useAuditFilters(families: readonly string[]): [AuditFilters, (next: AuditFilters) => void] {
  const [search, setSearch] = useSearchParams();
  const action = search.get('action') ?? '';
  const since = search.get('since') ?? '';
  const until = search.get('until') ?? '';
  const filters: AuditFilters = {
    action: families.some((family) => familyPattern(family) === action) ? action : '',
    q: (search.get('q') ?? '').trim().slice(0, MAX_SEARCH_LENGTH),
    since: DAY.test(since) ? since : '',
    until: DAY.test(until) ? until : '',
  };
  const apply = useCallback(
    (next: AuditFilters) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(next)) if (value) query.set(name, value);
      setSearch(query, { replace: true });
    },
    [setSearch],
  );
  return [filters, apply];
}
