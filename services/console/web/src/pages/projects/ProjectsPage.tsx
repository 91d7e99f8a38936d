import { useState } from 'react';
import { canManageMembers, useCurrentOrganization } from '../../api/organizations';
import { Notice } from '../../components/feedback';
import { PageHeader } from '../../components/PageHeader';
import { useListParams } from './list-params';
import { NewProjectForm } from './NewProjectForm';
import { ProjectFilters } from './ProjectFilters';
import { ProjectTable } from './ProjectTable';
import './projects.css';
import { useHandedOver } from '../../lib/handed-over';

/** What the project screen hands over after deleting (router state: it names no secret). */
export interface DeletedProjectState {
  deletedProject?: string;
}

/** The organization's projects: search, sort, status filter, cursor pages; create; delete for managers. */
export function ProjectsPage() {
  const { organizationId, organization } = useCurrentOrganization();
  const [params, update] = useListParams();
  const handedOver = useHandedOver<DeletedProjectState['deletedProject']>('deletedProject');
  const [deleted, setDeleted] = useState<string | undefined>(handedOver);
  const filtered = params.q !== '' || params.status !== '';
  // Deleting is organization:manage-members (owners and admins); members still read, create and edit.
  const canDelete = canManageMembers(organization?.role);

  return (
    <>
      <PageHeader
        title="Projects"
        description={organization ? `The projects of ${organization.name}.` : 'The projects of this organization.'}
      />
      {deleted ? <Notice kind="success">Deleted project “{deleted}”.</Notice> : null}
      <section className="section" aria-labelledby="project-list-heading">
        <h2 id="project-list-heading">All projects</h2>
        <ProjectFilters params={params} onChange={update} />
        <ProjectTable
          key={`${organizationId}|${params.q}|${params.sort}|${params.status}|${params.limit}`}
          organizationId={organizationId}
          params={params}
          filtered={filtered}
          canDelete={canDelete}
          onClearFilters={() => update({ q: '', status: '' })}
          onDeleted={(project) => setDeleted(project.name)}
        />
      </section>
      <NewProjectForm key={organizationId} organizationId={organizationId} />
    </>
  );
}
