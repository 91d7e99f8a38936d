import { unwrap } from '@gatehouse/sdk';
import { api } from '../../api/client';
import { organizationKey } from '../../api/organizations';
import type { Project } from './project-parts';

/** Every list of an organization's projects (any filter, any page), for invalidation after a change. */
export const projectListsKey = (organizationId: string) => [...organizationKey(organizationId), 'projects'] as const;
export const projectKey = (organizationId: string, projectId: string) =>
  [...organizationKey(organizationId), 'project', projectId] as const;

/** A project as read, with the version (ETag) the next update must name in If-Match. */
export interface ProjectVersion {
  project: Project;
  etag: string | null;
}

/** `call` would drop the response: the ETag header is needed, so the SDK's answer is unwrapped here. */
export async function readProject(organizationId: string, projectId: string): Promise<ProjectVersion> {
  const result = await api.GET('/api/user/organizations/{organizationId}/projects/{projectId}', {
    params: { path: { organizationId, projectId } },
    // The version the next save names must be the server's current one, never a cached copy.
    cache: 'no-store',
  });
  return { project: unwrap(result), etag: result.response.headers.get('etag') };
}
