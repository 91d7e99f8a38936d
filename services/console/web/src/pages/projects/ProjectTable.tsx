import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, call, callList } from '../../api/client';
import { isStatus } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState, LoadError, Loading } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { Pager, usePagedQuery } from '../../components/Pager';
import { When } from '../../components/When';
import type { ListParams } from './list-params';
import { projectKey, projectListsKey } from './project-api';
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
    // Asking again would not change "no such organization for you" (an id not mine, or I was removed).
    if (isStatus(list.error, 404) || isStatus(list.error, 403)) {
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
                    <DeleteProjectButton organizationId={organizationId} project={project} onDeleted={onDeleted} />
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

function DeleteProjectButton({
  organizationId,
  project,
  onDeleted,
}: {
  organizationId: string;
  project: Project;
  onDeleted: (project: Project) => void;
}) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () =>
      call(
        api.DELETE('/api/user/organizations/{organizationId}/projects/{projectId}', {
          params: { path: { organizationId, projectId: project.id } },
        }),
      ),
    onSuccess: () => {
      onDeleted(project);
      queryClient.removeQueries({ queryKey: projectKey(organizationId, project.id) });
      return queryClient.invalidateQueries({ queryKey: projectListsKey(organizationId) });
    },
  });
  return (
    <>
      <FormError error={remove.error} />
      <ConfirmButton
        label="Delete"
        accessibleLabel={`Delete project ${project.name}`}
        title={`Delete project “${project.name}”?`}
        confirmLabel="Delete project"
        pending={remove.isPending}
        onConfirm={() => remove.mutate()}
      >
        <p>
          The project <strong>{project.name}</strong> goes for good, for everyone in this organization.
        </p>
      </ConfirmButton>
    </>
  );
}
