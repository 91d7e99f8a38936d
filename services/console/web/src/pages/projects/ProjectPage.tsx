import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { isStatus } from '../../api/errors';
import { canManageMembers, useCurrentOrganization } from '../../api/organizations';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { organizationPolicyOf } from '../../components/MfaRequiredNotice';
import { PageHeader } from '../../components/PageHeader';
import { When } from '../../components/When';
import { DeleteProjectButton } from './DeleteProjectButton';
import { type ConflictedChanges, ProjectEditor } from './ProjectEditor';
import type { DeletedProjectState } from './ProjectsPage';
import { projectKey, projectListsKey, readProject } from './project-api';
import { type Project, StatusBadge } from './project-parts';
import './projects.css';

/**
 * One project: its details, the edit form (optimistic concurrency with the ETag) and, for owners and
 * admins, Delete. An id of another organization, or one deleted meanwhile, is simply not found.
 */
export function ProjectPage() {
  const { projectId = '' } = useParams();
  // Another project (or organization) in the URL is a new screen: no notice or conflict carries over.
  const { organizationId } = useCurrentOrganization();
  return <ProjectScreen key={`${organizationId}/${projectId}`} projectId={projectId} />;
}

function ProjectScreen({ projectId }: { projectId: string }) {
  const { organizationId, organization } = useCurrentOrganization();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const key = projectKey(organizationId, projectId);
  const version = useQuery({ queryKey: key, queryFn: () => readProject(organizationId, projectId) });
  // Kept here, not in the editor: the editor is mounted anew for each version it edits.
  const [conflict, setConflict] = useState<ConflictedChanges | null>(null);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const listPath = `/orgs/${organizationId}/projects`;

  if (version.isPending) {
    return (
      <>
        <PageHeader title="Project" />
        <Loading what="Loading the project" />
      </>
    );
  }
  if (version.isError) {
    // 404: deleted, or under another organization; 403: an organization I am not in; 400: not an
    // id at all. Each is "no such project here", and says nothing more about it.
    if (!organizationPolicyOf(version.error) && [400, 403, 404].some((status) => isStatus(version.error, status))) {
      return (
        <>
          <PageHeader
            title="Project not found"
            description="This organization has no such project. It may have been deleted."
          />
          <p>
            <Link to={listPath}>Back to the projects</Link>
          </p>
        </>
      );
    }
    return (
      <>
        <PageHeader title="Project" />
        <LoadError error={version.error} retry={() => version.refetch()} />
      </>
    );
  }

  const { project, etag } = version.data;
  return (
    <>
      <PageHeader
        title={project.name}
        description={<Link to={listPath}>All projects</Link>}
        actions={
          canManageMembers(organization?.role) ? (
            <DeleteProjectButton
              organizationId={organizationId}
              project={project}
              label="Delete project"
              onDeleted={({ name }) =>
                navigate(listPath, { state: { deletedProject: name } satisfies DeletedProjectState })
              }
            />
          ) : null
        }
      />
      <ProjectDetails project={project} />
      <section className="section" aria-labelledby="edit-project-heading">
        <h2 id="edit-project-heading">Edit</h2>
        {savedAt && !conflict ? <Notice kind="success">Saved at {savedAt}.</Notice> : null}
        <ProjectEditor
          // A new version (saved here, or reloaded after a conflict) starts the form from its values.
          key={etag ?? project.updatedAt}
          organizationId={organizationId}
          project={project}
          etag={etag}
          conflict={conflict}
          onSaved={(saved) => {
            setConflict(null);
            setSavedAt(new Date().toLocaleTimeString());
            queryClient.setQueryData(key, saved);
            return queryClient.invalidateQueries({ queryKey: projectListsKey(organizationId) });
          }}
          onStale={async (changes) => {
            setSavedAt(null);
            // The latest version first: the notice compares the person's changes with it.
            await version.refetch();
            setConflict(changes);
          }}
          onConflictSettled={() => setConflict(null)}
        />
      </section>
    </>
  );
}

function ProjectDetails({ project }: { project: Project }) {
  return (
    <section className="section" aria-labelledby="project-details-heading">
      <h2 id="project-details-heading">Details</h2>
      <dl className="details">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={project.status} />
        </dd>
        <dt>Slug</dt>
        <dd>
          <code>{project.slug}</code>
        </dd>
        <dt>Description</dt>
        <dd>{project.description ?? <span className="muted">None</span>}</dd>
        <dt>Created by</dt>
        <dd>{project.createdByUser.fullName ?? <span className="muted">Unknown</span>}</dd>
        <dt>Created</dt>
        <dd>
          <When at={project.createdAt} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <When at={project.updatedAt} />
        </dd>
        <dt>ID</dt>
        <dd>
          <code>{project.id}</code>
        </dd>
      </dl>
    </section>
  );
}
