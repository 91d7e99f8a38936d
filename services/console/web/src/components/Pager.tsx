import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';

/**
 * Cursor paging: the cursors of the pages seen so far, so Previous goes back without an offset.
 * Reset it (a new key) when the filters or the sort change: a cursor is only good for its own.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((seen) => [...seen, nextCursor]),
    previous: () => setCursors((seen) => (seen.length > 1 ? seen.slice(0, -1) : seen)),
    reset: () => setCursors([undefined]),
  };
}

/**
 * One list read page by page: the cursors seen (useCursorPages) and the query of the current page.
 * While the next page loads, the current one stays on screen (and the Pager's focused button with
 * it); `query.isPlaceholderData` says it is the previous page still.
 */
export function usePagedQuery<Page>(
  queryKey: readonly unknown[],
  fetchPage: (cursor: string | undefined) => Promise<Page>,
) {
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: [...queryKey, pages.cursor ?? null],
    queryFn: () => fetchPage(pages.cursor),
    placeholderData: keepPreviousData,
  });
  return { pages, query };
}

export function Pager({
  pages,
  nextCursor,
  label = 'Pages',
  busy = false,
}: {
  pages: ReturnType<typeof useCursorPages>;
  /** The answer's `meta.nextCursor`: null on the last page. */
  nextCursor: string | null | undefined;
  /** Names the list when a screen has more than one ("Pages of sessions"). */
  label?: string;
  /** The next page is loading: a second click would skip one. */
  busy?: boolean;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button button-small" disabled={busy || pages.page <= 1} onClick={pages.previous}>
        Previous
      </button>
      <span aria-live="polite">Page {pages.page}</span>
      <button
        type="button"
        className="button button-small"
        disabled={busy || !nextCursor}
        aria-busy={busy || undefined}
        onClick={() => nextCursor && pages.next(nextCursor)}
      >
        Next
      </button>
    </nav>
  );
}

/**
 * An empty answer: on the first page the list is empty (the message says so); on a later page,
 * emptied by deletions meanwhile, the way back stays.
 */
export function EmptyList({
  pages,
  nextCursor,
  children,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
  children: ReactNode;
}) {
  if (pages.page === 1) return <p className="empty">{children}</p>;
  return (
    <>
      <p className="empty">Nothing more on this page.</p>
      <Pager pages={pages} nextCursor={nextCursor} />
    </>
  );
}
