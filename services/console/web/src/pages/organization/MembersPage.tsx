import { canManageMembers, useCurrentOrganization } from '../../api/organizations';
import { LoadError, Loading } from '../../components/feedback';
import { PageHeader } from '../../components/PageHeader';
import { InvitationsSection } from './InvitationsSection';
import { MembersSection } from './MembersSection';
import { useMyMembership } from './queries';
import './members.css';

/** Who is in the organization; owners and admins also invite, change roles and remove. */
export function MembersPage() {
  const { organizationId, organization } = useCurrentOrganization();
  // My role, read fresh: it decides which controls this screen offers.
  const membership = useMyMembership(organizationId);
  const title = 'Members';
  const description = organization ? `The people in ${organization.name} and their roles.` : undefined;

  if (membership.isPending) return <Loading what="Loading members" />;
  if (membership.isError)
    return (
      <>
        <PageHeader title={title} />
        <LoadError error={membership.error} retry={() => membership.refetch()} />
      </>
    );

  const me = membership.data;
  return (
    <>
      <PageHeader title={title} description={description} />
      <MembersSection
        organizationId={organizationId}
        organizationName={organization?.name ?? 'this organization'}
        me={me}
      />
      {canManageMembers(me.role) ? (
        <InvitationsSection organizationId={organizationId} myRole={me.role} />
      ) : (
        <p className="muted">Owners and admins invite people and change roles.</p>
      )}
    </>
  );
}
