import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, callList } from '../../api/client';
import { isStatus } from '../../api/errors';
import { EmptyState, LoadError, Loading } from '../../components/feedback';
import { organizationPolicyOf } from '../../components/MfaRequiredNotice';
import { Pager, usePagedQuery } from '../../components/Pager';
import { When } from '../../components/When';
import { DeleteProjectButton } from './DeleteProjectButton';
import type { ListParams } from './list-params';
import { projectListsKey } from './project-api';
import { type Project, StatusBadge } from './project-parts';

interface ProjectTableProps {
  organizationId: string;
  params: ListParams;
  filtered: boolean;
  canDelete: boolean;
  onClearFilters: () => void;
  onDeleted: (project: Project) => void;
}

/**
 * One list (a search, sort and status): mounted anew when any of them changes, so paging starts
 * again at page 1 — a cursor is only good for the list that made it.
 */
export function ProjectTable({
  organizationId,
  params,
  filtered,
  canDelete,
  onClearFilters,
  onDeleted,
}: ProjectTableProps) {
  const { q, sort, status, limit } = params;
  const { pages, query: list } = usePagedQuery(
    [...projectListsKey(organizationId), { q, sort, status, limit }],
    (cursor) =>
      callList(
        api.GET('/api/user/organizations/{organizationId}/projects', {
          params: {
            path: { organizationId },
            query: { limit, sort, cursor, q: q || undefined, status: status || undefined },
          },
        }),
      ),
  );
  // Only the first page counts the matches (counting is O(n) and cursor pages skip it).
  const [total, setTotal] = useState<number>();
  useEffect(() => {
    if (list.data?.total !== undefined) setTotal(list.data.total);
  }, [list.data?.total]);

  if (list.isPending) return <Loading what="Loading projects" />;
  if (list.isError) {
    // Asking again would not change "no such organization for you" (an id not mine, or I was removed);
    // an organization's two-step policy is not that, and LoadError says what to do about it.
    if (!organizationPolicyOf(list.error) && (isStatus(list.error, 404) || isStatus(list.error, 403))) {
      return (
        <EmptyState>
          This organization does not exist, or you are not a member of it. <Link to="/">Go to your projects</Link>
        </EmptyState>
      );
    }
    return <LoadError error={list.error} retry={() => list.refetch()} />;
  }

  if (list.data.items.length === 0 && pages.page === 1) {
    return filtered ? (
      <EmptyState>
        No project matches these filters.{' '}
        <button type="button" className="button button-small" onClick={onClearFilters}>
          Clear filters
        </button>
      </EmptyState>
    ) : (
      <EmptyState>No projects yet. Create the first one below.</EmptyState>
    );
  }

  const pager = <Pager pages={pages} nextCursor={list.data.nextCursor} busy={list.isPlaceholderData} />;
  // A later page emptied by deletions meanwhile: the way back stays.
  if (list.data.items.length === 0) {
    return (
      <>
        <EmptyState>No more projects on this page.</EmptyState>
        {pager}
      </>
    );
  }

  return (
    <>
      {total !== undefined ? (
        <p className="muted" data-testid="project-count">
          {total === 1 ? '1 project' : `${total} projects`}
          {filtered ? ' match' : ''}
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="projects-table">
          <caption className="visually-hidden">Projects, page {pages.page}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col" className="projects-col-updated">
                Updated
              </th>
              {canDelete ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((project) => (
              <tr key={project.id}>
                <td>
                  <Link to={`/orgs/${organizationId}/projects/${project.id}`}>{project.name}</Link>
                  <div className="muted project-slug">{project.slug}</div>
                </td>
                <td>
                  <StatusBadge status={project.status} />
                </td>
                <td className="projects-col-updated">
                  <When at={project.updatedAt} />
                </td>
                {canDelete ? (
                  <td className="projects-row-actions">
                    <DeleteProjectButton
                      organizationId={organizationId}
                      project={project}
                      label="Delete"
                      onDeleted={onDeleted}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pager}
    </>
  );
}
