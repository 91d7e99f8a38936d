import { useInfiniteQuery } from '@tanstack/react-query';
import { Fragment, useId, useState } from 'react';
import { EmptyState, LoadError, Loading } from '../../components/feedback';
import { When } from '../../components/When';
import type { AuditFilters, AuditPage, AuditRecord } from './audit-api';
import { ActionName, ActorName, RecordDetails } from './RecordDetails';

/**
 * One log, newest first (an organization's or my own: the same list for both). "Older records" reads
 * the next page by cursor and adds it below, so what was read stays in place. Mounted anew for new
 * filters by its key: a cursor is only good for the filters that made it.
 */
export function AuditRecordList({
  caption,
  queryKey,
  filters,
  fetchPage,
  empty,
}: {
  caption: string;
  queryKey: readonly unknown[];
  filters: AuditFilters;
  fetchPage: (filters: AuditFilters, cursor: string | undefined) => Promise<AuditPage>;
  empty: string;
}) {
  const list = useInfiniteQuery({
    queryKey: [...queryKey, filters],
    queryFn: ({ pageParam }) => fetchPage(filters, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  if (list.isPending) return <Loading what="Loading records" />;
  if (list.isError) return <LoadError error={list.error} retry={() => list.refetch()} />;
  const records = list.data.pages.flatMap((page) => page.items);
  if (records.length === 0)
    return <EmptyState>{Object.values(filters).some(Boolean) ? 'No record matches these filters.' : empty}</EmptyState>;
  return (
    <>
      <div className="table-wrap">
        <table className="audit-table">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col" className="audit-col-wide">
                Time
              </th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col" className="audit-col-wide">
                IP address
              </th>
            </tr>
          </thead>
          <tbody>
            {records.map((record) => (
              <RecordRow key={record.id} record={record} />
            ))}
          </tbody>
        </table>
      </div>
      <div className="pager">
        {list.hasNextPage ? (
          <button
            type="button"
            className="button button-small"
            disabled={list.isFetchingNextPage}
            aria-busy={list.isFetchingNextPage || undefined}
            onClick={() => list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? 'Loading…' : 'Older records'}
          </button>
        ) : null}
        <span className="muted" aria-live="polite">
          {records.length === 1 ? '1 record' : `${records.length} records`}
          {list.hasNextPage ? ' shown' : ', the oldest included'}
        </span>
      </div>
    </>
  );
}

/** Sign-ins and refusals stand out (a badge says so too: colour alone tells nobody using a screen reader). */
function RecordFlag({ record }: { record: AuditRecord }) {
  if (record.outcome === 'failure') return <span className="badge badge-warning">Failed</span>;
  if (record.action === 'session.created') return <span className="badge badge-success">Sign-in</span>;
  return null;
}

function rowClass(record: AuditRecord): string | undefined {
  if (record.outcome === 'failure') return 'audit-row-failure';
  if (record.action === 'session.created') return 'audit-row-sign-in';
  return undefined;
}

function RecordRow({ record }: { record: AuditRecord }) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <Fragment>
      <tr className={rowClass(record)} data-testid="audit-record">
        <td className="audit-col-wide audit-time">
          <When at={record.occurredAt} />
        </td>
        <td>
          {/* The action opens the record: one column fewer than a Details button, which a phone needs. */}
          <button
            type="button"
            className="audit-toggle"
            aria-expanded={open}
            aria-controls={detailsId}
            aria-label={`${record.action} #${record.sequence}: details`}
            onClick={() => setOpen((shown) => !shown)}
          >
            <ActionName action={record.action} />
          </button>{' '}
          <RecordFlag record={record} />
          <span className="muted audit-subline audit-time-inline">
            <When at={record.occurredAt} />
          </span>
        </td>
        <td>
          <ActorName record={record} />
        </td>
        <td>
          <span className="audit-target">{record.target.name ?? record.target.id}</span>
          <span className="muted audit-subline">{record.target.type}</span>
        </td>
        <td className="audit-col-wide">{record.ip ?? <span className="muted">—</span>}</td>
      </tr>
      <tr id={detailsId} className="audit-details-row" hidden={!open}>
        <td colSpan={5}>{open ? <RecordDetails record={record} /> : null}</td>
      </tr>
    </Fragment>
  );
}
