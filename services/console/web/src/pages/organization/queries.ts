import { useQuery } from '@tanstack/react-query';
import { api, call, callList } from '../../api/client';
import { organizationKey } from '../../api/organizations';

export const membershipKey = (organizationId: string) => [...organizationKey(organizationId), 'my-membership'] as const;
export const membersKey = (organizationId: string) => [...organizationKey(organizationId), 'members'] as const;
export const invitesKey = (organizationId: string) => [...organizationKey(organizationId), 'invites'] as const;

export const ROLE_LABELS = { owner: 'Owner', admin: 'Admin', member: 'Member' } as const;
export type Role = keyof typeof ROLE_LABELS;

/** The roles I may hand out: only owners make owners (the API refuses the rest anyway). */
export function assignableRoles(myRole: Role | undefined): Array<{ value: Role; label: string }> {
  const roles: Role[] = myRole === 'owner' ? ['member', 'admin', 'owner'] : ['member', 'admin'];
  return roles.map((value) => ({ value, label: ROLE_LABELS[value] }));
}

/**
 * My own membership, read fresh: the role decides which controls a screen offers, and a role
 * changed by someone else must show without waiting for the organization list to be re-read.
 */
export function useMyMembership(organizationId: string) {
  return useQuery({
    queryKey: membershipKey(organizationId),
    queryFn: () =>
      call(api.GET('/api/user/organizations/{organizationId}/my-membership', { params: { path: { organizationId } } })),
    enabled: Boolean(organizationId),
  });
}

/** A page of the organization's members (`q` matches the name or the email). */
export function fetchMembers(organizationId: string, page: { cursor?: string | undefined; q?: string; limit: number }) {
  return callList(
    api.GET('/api/user/organizations/{organizationId}/members', {
      params: {
        path: { organizationId },
        query: { limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}), ...(page.q ? { q: page.q } : {}) },
      },
    }),
  );
}

/** A page of the organization's unaccepted invitations, newest first. */
export function fetchInvites(organizationId: string, page: { cursor?: string | undefined; limit: number }) {
  return callList(
    api.GET('/api/user/organizations/{organizationId}/invites', {
      params: {
        path: { organizationId },
        query: { limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) },
      },
    }),
  );
}

export type Member = Awaited<ReturnType<typeof fetchMembers>>['items'][number];
export type Invite = Awaited<ReturnType<typeof fetchInvites>>['items'][number];
export type Membership = NonNullable<ReturnType<typeof useMyMembership>['data']>;
