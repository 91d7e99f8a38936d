import type { ReactNode } from 'react';
import { canManageSecurity, useCurrentOrganization, useOrganizations } from '../api/organizations';
import { LoadError, Loading, Notice } from './feedback';
import { PageHeader } from './PageHeader';

/**
 * Screens for the organization's owners (organization:manage-security: SSO, webhooks). Anyone else gets
 * an explanation and no controls, and the screen sends the API nothing on their behalf.
 */
export function OwnersOnly({
  title,
  manages,
  askFor,
  children,
}: {
  /** The screen's title while it cannot show its own (loading the organization, or not an owner). */
  title: string;
  /** What owners manage here, in the sentence "Only owners of … manage …" ("single sign-on"). */
  manages: string;
  /** What to ask an owner for ("to connect your identity provider or change its settings"). */
  askFor: string;
  children: (organizationId: string) => ReactNode;
}) {
  const organizations = useOrganizations();
  const { organizationId, organization } = useCurrentOrganization();
  if (organization && canManageSecurity(organization.role)) return <>{children(organizationId)}</>;
  return (
    <>
      <PageHeader title={title} />
      {organizations.isPending ? (
        <Loading />
      ) : organizations.isError ? (
        <LoadError error={organizations.error} retry={() => organizations.refetch()} />
      ) : !organization ? (
        <Notice kind="error">You are not a member of this organization.</Notice>
      ) : (
        <Notice kind="info">
          Only owners of {organization.name} manage {manages}. You are {article(organization.role)} {organization.role}:
          ask an owner {askFor}.
        </Notice>
      )}
    </>
  );
}

function article(role: string) {
  return /^[aeiou]/i.test(role) ? 'an' : 'a';
}
