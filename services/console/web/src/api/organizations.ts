import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, callList } from './client';

export const ORGANIZATIONS_KEY = ['organizations'] as const;

/** The organizations I belong to, with my role in each (the switcher and the default landing). */
export function useOrganizations() {
  return useQuery({
    queryKey: ORGANIZATIONS_KEY,
    queryFn: async () =>
      (await callList(api.GET('/api/user/organizations', { params: { query: { limit: 100 } } }))).items,
  });
}

export type Organization = NonNullable<ReturnType<typeof useOrganizations>['data']>[number];

/** The organization of the current screen (`/orgs/:organizationId/…`) and my role in it. */
export function useCurrentOrganization(): { organizationId: string; organization: Organization | undefined } {
  const { organizationId = '' } = useParams();
  const { data } = useOrganizations();
  return { organizationId, organization: data?.find((org) => org.id === organizationId) };
}

/** Owners and admins manage members, invitations and settings (organization:manage-members). */
export function canManageMembers(role: Organization['role'] | undefined): boolean {
  return role === 'owner' || role === 'admin';
}

/** Only owners manage SSO and the security policy (organization:manage-security). */
export function canManageSecurity(role: Organization['role'] | undefined): boolean {
  return role === 'owner';
}
