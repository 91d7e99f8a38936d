import { useState } from 'react';
import { Link } from 'react-router';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState, LoadError, Loading, Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { OwnersOnly } from '../../components/OwnersOnly';
import { PageHeader } from '../../components/PageHeader';
import { SecretOnce } from '../../components/SecretOnce';
import { useHandedOver } from '../../lib/handed-over';
import { NewWebhookForm } from './NewWebhookForm';
import { useDeleteWebhook, useSetEnabled, WebhookStatus } from './parts';
import { eventsText, useWebhooks, type Webhook } from './webhooks-api';
import './webhooks.css';

const TITLE = 'Webhooks';

/** `/orgs/:organizationId/webhooks`: the endpoints the organization's audit records are pushed to. */
export function WebhooksPage() {
  return (
    <OwnersOnly manages="webhooks" askFor="to add an endpoint for your system" title={TITLE}>
      {(organizationId) => <Webhooks organizationId={organizationId} />}
    </OwnersOnly>
  );
}

function Webhooks({ organizationId }: { organizationId: string }) {
  // The endpoint page hands over the URL of the endpoint it deleted.
  const deleted = useHandedOver<string>('deleted');
  // The new secret lives only here: leaving the screen unmounts it, and it is gone.
  const [created, setCreated] = useState<{ webhook: Webhook; secret: string } | null>(null);
  return (
    <>
      <PageHeader
        title={TITLE}
        description="Gatehouse POSTs the audit log's records to your endpoints as they happen, signed (Standard Webhooks), in order, retried for three days."
      />
      {deleted ? <Notice kind="success">Removed the endpoint {deleted}.</Notice> : null}
      {created ? (
        <>
          <Notice kind="success">
            Added <Link to={`/orgs/${organizationId}/webhooks/${created.webhook.id}`}>{created.webhook.url}</Link>.
          </Notice>
          <SecretOnce
            label="Its signing secret"
            value={created.secret}
            kept="Gatehouse keeps it encrypted, to sign messages with"
          />
        </>
      ) : null}
      <WebhookList organizationId={organizationId} />
      <NewWebhookForm organizationId={organizationId} onCreated={setCreated} />
    </>
  );
}

function WebhookList({ organizationId }: { organizationId: string }) {
  const webhooks = useWebhooks(organizationId);
  const [done, setDone] = useState<string | null>(null);
  const setEnabled = useSetEnabled(organizationId, (webhook) =>
    setDone(`${webhook.url} ${webhook.enabled ? 'enabled' : 'disabled'}.`),
  );
  const remove = useDeleteWebhook(organizationId, (webhook) => setDone(`Removed the endpoint ${webhook.url}.`));
  const busy = setEnabled.isPending || remove.isPending;
  return (
    <section className="section" aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Endpoints</h2>
      <FormError error={setEnabled.error ?? remove.error} />
      {done ? <Notice kind="success">{done}</Notice> : null}
      {webhooks.isPending ? (
        <Loading what="Loading endpoints" />
      ) : webhooks.isError ? (
        <LoadError error={webhooks.error} retry={() => webhooks.refetch()} />
      ) : webhooks.data.length === 0 ? (
        <EmptyState>No endpoints yet. Add one below to receive the audit log as it happens.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="webhooks-table">
            <caption className="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {webhooks.data.map((webhook) => (
                <tr key={webhook.id} data-testid="webhook-row">
                  <td>
                    <Link className="webhook-url" to={`/orgs/${organizationId}/webhooks/${webhook.id}`}>
                      {webhook.url}
                    </Link>
                    {webhook.description ? <span className="muted webhook-subline">{webhook.description}</span> : null}
                  </td>
                  <td className="webhook-events">{eventsText(webhook.events)}</td>
                  <td>
                    <WebhookStatus webhook={webhook} />
                  </td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`${webhook.enabled ? 'Disable' : 'Enable'} ${webhook.url}`}
                        disabled={busy}
                        onClick={() => setEnabled.mutate({ webhook, enabled: !webhook.enabled })}
                      >
                        {webhook.enabled ? 'Disable' : 'Enable'}
                      </button>
                      <ConfirmButton
                        label="Delete"
                        accessibleLabel={`Delete ${webhook.url}`}
                        title="Delete this endpoint?"
                        confirmLabel="Delete endpoint"
                        pending={busy}
                        onConfirm={() => remove.mutate(webhook)}
                      >
                        <p>
                          {webhook.url} receives nothing more, and its messages still waiting are dropped. The audit log
                          keeps every record.
                        </p>
                      </ConfirmButton>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
