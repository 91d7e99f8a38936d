import { Link } from 'react-router';
import { EmptyState, LoadError, Loading } from '../../components/feedback';
import { NewConnectionForm } from './NewConnectionForm';
import { useConnections } from './sso-api';

export const PROTOCOL_LABELS = { oidc: 'OpenID Connect', saml: 'SAML 2.0' } as const;

/** The organization's connections to its identity providers, and the form that adds one. */
export function ConnectionsSection({ organizationId }: { organizationId: string }) {
  const connections = useConnections(organizationId);
  return (
    <section className="section" aria-labelledby="sso-connections-heading">
      <h2 id="sso-connections-heading">Connections</h2>
      {connections.isPending ? (
        <Loading what="Loading connections" />
      ) : connections.isError ? (
        <LoadError error={connections.error} retry={() => connections.refetch()} />
      ) : connections.data.length === 0 ? (
        <EmptyState>No connections yet. Add one below to sign people in through your identity provider.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">SSO connections</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Status</th>
                <th scope="col">SSO required</th>
                <th scope="col">Domains</th>
              </tr>
            </thead>
            <tbody>
              {connections.data.map((connection) => (
                <tr key={connection.id}>
                  <td>
                    <Link to={`/orgs/${organizationId}/sso/${connection.id}`}>{connection.name}</Link>
                  </td>
                  <td>{PROTOCOL_LABELS[connection.type]}</td>
                  <td>
                    {connection.enabled ? (
                      <span className="badge badge-success">Enabled</span>
                    ) : (
                      <span className="badge">Disabled</span>
                    )}
                  </td>
                  <td>{connection.ssoRequired ? 'Required' : 'Optional'}</td>
                  <td>
                    {connection.domains.length ? connection.domains.join(', ') : <span className="muted">None</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewConnectionForm organizationId={organizationId} />
    </section>
  );
}
