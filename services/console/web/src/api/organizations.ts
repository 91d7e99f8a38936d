import { roleHasPermission } from '@gatehouse/contracts/scopes';
import { type QueryClient, useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, call, callList } from './client';

export const ORGANIZATIONS_KEY = ['organizations'] as const;

/** Everything cached about one organization (its projects, members, SSO…) starts with this key. */
export const organizationKey = (organizationId: string) => ['organization', organizationId] as const;

/**
 * After I left or deleted an organization: the list is read again first (so `/` cannot land in
 * it), then the screen leaves, then what was cached of it goes — in that order, so no screen
 * still open asks for it again.
 */
export async function forgetOrganization(
  queryClient: QueryClient,
  navigate: (path: string, options: { replace: boolean }) => void,
  organizationId: string,
): Promise<void> {
  await queryClient.invalidateQueries({ queryKey: ORGANIZATIONS_KEY });
  navigate('/', { replace: true });
  queryClient.removeQueries({ queryKey: organizationKey(organizationId) });
}

/** The organizations I belong to, with my role in each (the switcher and the default landing). */
export function useOrganizations() {
  return useQuery({
    queryKey: ORGANIZATIONS_KEY,
    queryFn: async () =>
      (await callList(api.GET('/api/user/organizations', { params: { query: { limit: 100 } } }))).items,
  });
}

export type Organization = NonNullable<ReturnType<typeof useOrganizations>['data']>[number];

/** One organization as I see it (with my role in it), read fresh for each screen that shows it. */
export function useOrganization(organizationId: string) {
  return useQuery({
    queryKey: organizationKey(organizationId),
    queryFn: () => call(api.GET('/api/user/organizations/{organizationId}', { params: { path: { organizationId } } })),
    enabled: Boolean(organizationId),
  });
}

/**
 * The organization of the current screen (`/orgs/:organizationId/…`) and my role in it — read by
 * itself, not looked up in the switcher's list: that list is capped, and a role changed by someone
 * else must show on the next screen.
 */
export function useCurrentOrganization(): { organizationId: string; organization: Organization | undefined } {
  const { organizationId = '' } = useParams();
  const { data } = useOrganization(organizationId);
  return { organizationId, organization: data };
}

/** Owners and admins manage members, invitations and settings (the API's own role table). */
export function canManageMembers(role: Organization['role'] | undefined): boolean {
  return role !== undefined && roleHasPermission(role, 'organization:manage-members');
}

/** Only owners manage SSO and the security policy (organization:manage-security). */
export function canManageSecurity(role: Organization['role'] | undefined): boolean {
  return role !== undefined && roleHasPermission(role, 'organization:manage-security');
}

/** Only owners change the plan, open the billing portal and edit the billing profile (organization:manage-billing). */
export function canManageBilling(role: Organization['role'] | undefined): boolean {
  return role !== undefined && roleHasPermission(role, 'organization:manage-billing');
}
