import { Notice } from '../../components/feedback';
import { OwnersOnly } from '../../components/OwnersOnly';
import { PageHeader } from '../../components/PageHeader';
import { ConnectionsSection } from './ConnectionsSection';
import { DomainsSection } from './DomainsSection';
import './sso.css';
import { useHandedOver } from '../../lib/handed-over';

const TITLE = 'Single sign-on';

/** `/orgs/:organizationId/sso`: the organization's proven domains and its identity provider connections. */
export function SsoPage() {
  // The connection page comes back here after deleting one, naming it.
  const deleted = useHandedOver<string>('deleted');
  return (
    <OwnersOnly
      title={TITLE}
      manages="single sign-on"
      askFor="to connect your identity provider or change its settings"
    >
      {(organizationId) => (
        <>
          <PageHeader
            title={TITLE}
            description="Sign your people in through your own identity provider, over OpenID Connect or SAML 2.0."
          />
          {deleted ? <Notice kind="success">Deleted the connection {deleted}.</Notice> : null}
          <DomainsSection organizationId={organizationId} />
          <ConnectionsSection organizationId={organizationId} />
        </>
      )}
    </OwnersOnly>
  );
}
