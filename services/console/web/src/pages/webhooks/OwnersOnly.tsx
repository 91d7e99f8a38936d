import type { ReactNode } from 'react';
import { canManageSecurity, useCurrentOrganization, useOrganizations } from '../../api/organizations';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { PageHeader } from '../../components/PageHeader';

/**
 * Webhooks are for the organization's owners (organization:manage-security). Anyone else gets an
 * explanation and no controls, and the screen sends the API nothing on their behalf.
 */
export function WebhookOwnersOnly({
  title,
  children,
}: {
  title: string;
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
          Only owners of {organization.name} manage webhooks: ask an owner to add an endpoint for your system.
        </Notice>
      )}
    </>
  );
}
