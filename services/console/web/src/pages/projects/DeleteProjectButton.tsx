import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { FormError } from '../../components/forms';
import { projectKey, projectListsKey } from './project-api';
import type { Project } from './project-parts';

/**
 * Delete a project, behind a confirmation (the list's rows and the project's own screen). The lists
 * are read again before `onDeleted` (so the list it may go to no longer shows it); the project's
 * own cache goes after (so a screen still open does not ask for it again).
 */
export function DeleteProjectButton({
  organizationId,
  project,
  label,
  onDeleted,
}: {
  organizationId: string;
  project: Project;
  label: string;
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
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: projectListsKey(organizationId) });
      onDeleted(project);
      queryClient.removeQueries({ queryKey: projectKey(organizationId, project.id) });
    },
  });
  return (
    <>
      <FormError error={remove.error} />
      <ConfirmButton
        label={label}
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
