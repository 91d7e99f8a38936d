import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { api, call } from '../../api/client';
import { isStatus, messageOf } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { OwnersOnly } from '../../components/OwnersOnly';
import { PageHeader } from '../../components/PageHeader';
import { PROTOCOL_LABELS } from './ConnectionsSection';
import { CopyValue } from './CopyValue';
import { EditConnectionForm } from './EditConnectionForm';
import { type Connection, connectionKey, connectionsKey, useConnection } from './sso-api';
import './sso.css';
import { formatDate } from '../../components/When';
import { useHandedOver } from '../../lib/handed-over';

/** `/orgs/:organizationId/sso/:connectionId`: what to enter at the IdP, the connection's settings, and deleting it. */
export function SsoConnectionPage() {
  return (
    <OwnersOnly
      title="SSO connection"
      manages="single sign-on"
      askFor="to connect your identity provider or change its settings"
    >
      {(organizationId) => <ConnectionScreen organizationId={organizationId} />}
    </OwnersOnly>
  );
}

function ConnectionScreen({ organizationId }: { organizationId: string }) {
  const { connectionId = '' } = useParams();
  const _location = useLocation();
  const justCreated = useHandedOver<boolean>('created') === true;
  const query = useConnection(organizationId, connectionId);
  const [saved, setSaved] = useState(false);
  const back = (
    <p>
      <Link to={`/orgs/${organizationId}/sso`}>← All of single sign-on</Link>
    </p>
  );

  if (query.isPending)
    return (
      <>
        <PageHeader title="SSO connection" />
        <Loading what="Loading the connection" />
      </>
    );
  if (query.isError)
    return (
      <>
        <PageHeader title="SSO connection" />
        {back}
        {isStatus(query.error, 404) ? (
          <Notice kind="error">This connection does not exist (any more).</Notice>
        ) : (
          <LoadError error={query.error} retry={() => query.refetch()} />
        )}
      </>
    );

  const { connection, etag } = query.data;
  return (
    <>
      <PageHeader
        title={connection.name}
        description={`${PROTOCOL_LABELS[connection.type]} connection · ${connection.enabled ? 'enabled' : 'disabled'}`}
      />
      {back}
      {justCreated ? (
        <Notice kind="success">
          Connection created. Enter the values below at your identity provider
          {connection.enabled ? '.' : ', then enable the connection.'}
        </Notice>
      ) : null}
      <IdpSetup connection={connection} />
      <Details connection={connection} />
      <section className="section" aria-labelledby="sso-edit-heading">
        <h2 id="sso-edit-heading">Settings</h2>
        {saved ? <Notice kind="success">Saved the connection's settings.</Notice> : null}
        <EditConnectionForm
          key={`${connection.id}-${connection.updatedAt}`}
          organizationId={organizationId}
          connection={connection}
          etag={etag}
          reload={() => {
            setSaved(false);
            query.refetch();
          }}
          onSaved={() => setSaved(true)}
        />
      </section>
      <DeleteConnection organizationId={organizationId} connection={connection} />
    </>
  );
}

/** Our side's values, which the IdP's administrator pastes into its configuration. */
function IdpSetup({ connection }: { connection: Connection }) {
  const sp = connection.serviceProvider;
  return (
    <section className="section" aria-labelledby="sso-idp-setup-heading">
      <h2 id="sso-idp-setup-heading">Set up your identity provider</h2>
      {connection.type === 'oidc' ? (
        <>
          <p className="muted">
            Register this redirect URI (also called callback URL) with the OpenID Connect client at your IdP.
          </p>
          <CopyValue label="Redirect URI" value={sp.oidcRedirectUri} />
        </>
      ) : (
        <>
          <p className="muted">
            Enter these in the SAML application at your IdP (Okta: Single sign-on URL and Audience URI; Entra ID: Reply
            URL and Identifier), or let it import our metadata. Sign the assertion with SHA-256.
          </p>
          <CopyValue label="Assertion Consumer Service (ACS) URL" value={sp.acsUrl} />
          <CopyValue label="SP entity ID (Audience)" value={sp.entityId} />
          <CopyValue label="SP metadata URL" value={sp.metadataUrl} />
        </>
      )}
    </section>
  );
}

function Details({ connection }: { connection: Connection }) {
  return (
    <section className="section" aria-labelledby="sso-details-heading">
      <h2 id="sso-details-heading">Details</h2>
      <dl className="details">
        <dt>Protocol</dt>
        <dd>{PROTOCOL_LABELS[connection.type]}</dd>
        <dt>Status</dt>
        <dd>
          {connection.enabled ? (
            <span className="badge badge-success">Enabled</span>
          ) : (
            <span className="badge">Disabled</span>
          )}
        </dd>
        <dt>SSO required</dt>
        <dd>{connection.ssoRequired ? 'Yes: people of its domains cannot use a password' : 'No'}</dd>
        <dt>Domains</dt>
        <dd>{connection.domains.length ? connection.domains.join(', ') : 'None: it signs nobody in'}</dd>
        <dt>Role on first sign-in</dt>
        <dd>{connection.defaultRole === 'admin' ? 'Admin' : 'Member'}</dd>
        {connection.type === 'oidc' ? (
          <>
            <dt>Issuer</dt>
            <dd>{connection.issuer}</dd>
            <dt>Client ID</dt>
            <dd>{connection.clientId}</dd>
            <dt>Client secret</dt>
            <dd>{connection.hasClientSecret ? 'Stored (never shown)' : 'None'}</dd>
          </>
        ) : (
          <>
            <dt>IdP entity ID</dt>
            <dd>{connection.idpEntityId}</dd>
            <dt>IdP sign-in URL</dt>
            <dd>{connection.idpSsoUrl}</dd>
            <dt>IdP certificates</dt>
            <dd>
              <ul className="sso-certificates">
                {connection.idpCertificates.map((certificate) => (
                  <li key={certificate.fingerprint}>
                    {certificate.subject} · valid until {formatDate(certificate.notAfter)}{' '}
                    {certificate.expired ? (
                      <span className="badge badge-warning">Expired</span>
                    ) : certificate.expiresSoon ? (
                      <span className="badge badge-warning">Expires soon</span>
                    ) : null}
                    <br />
                    <span className="muted">SHA-256 {certificate.fingerprint}</span>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function DeleteConnection({ organizationId, connection }: { organizationId: string; connection: Connection }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const remove = useMutation({
    mutationFn: () =>
      call(
        api.DELETE('/api/user/organizations/{organizationId}/sso-connections/{connectionId}', {
          params: { path: { organizationId, connectionId: connection.id } },
        }),
      ),
    onError: setError,
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: connectionKey(organizationId, connection.id) });
      queryClient.setQueryData(connectionsKey(organizationId), (list: Connection[] | undefined) =>
        list?.filter((listed) => listed.id !== connection.id),
      );
      await queryClient.invalidateQueries({ queryKey: connectionsKey(organizationId), exact: true });
      navigate(`/orgs/${organizationId}/sso`, { state: { deleted: connection.name } });
    },
  });
  return (
    <section className="section" aria-labelledby="sso-delete-heading">
      <h2 id="sso-delete-heading">Delete this connection</h2>
      <p className="muted">
        Sign-ins through it stop at once. The accounts it linked stay, with their memberships, but are unlinked from the
        IdP.
      </p>
      {error ? <Notice kind="error">{messageOf(error)}</Notice> : null}
      <ConfirmButton
        label="Delete connection"
        accessibleLabel={`Delete connection ${connection.name}`}
        title={`Delete ${connection.name}?`}
        confirmLabel="Delete connection"
        pending={remove.isPending}
        onConfirm={() => remove.mutate()}
      >
        <p>Nobody will sign in through {connection.name} any more. This cannot be undone.</p>
      </ConfirmButton>
    </section>
  );
}
