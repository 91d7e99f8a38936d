import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, call } from '../../api/client';
import { isStatus } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { OwnersOnly } from '../../components/OwnersOnly';
import { PageHeader } from '../../components/PageHeader';
import { SecretOnce } from '../../components/SecretOnce';
import { When } from '../../components/When';
import { DeliveryLog } from './DeliveryLog';
import { useDeleteWebhook, useSetEnabled, WebhookStatus } from './parts';
import { deliveriesKey, eventsText, HOOK, useWebhook, type Webhook, webhookKey } from './webhooks-api';
import './webhooks.css';

const TITLE = 'Webhook endpoint';

/** `/orgs/:organizationId/webhooks/:webhookId`: one endpoint, its secret, a test message and its delivery log. */
export function WebhookPage() {
  return (
    <OwnersOnly manages="webhooks" askFor="to add an endpoint for your system" title={TITLE}>
      {(organizationId) => <WebhookScreen organizationId={organizationId} />}
    </OwnersOnly>
  );
}

function WebhookScreen({ organizationId }: { organizationId: string }) {
  const { webhookId = '' } = useParams();
  const query = useWebhook(organizationId, webhookId);
  const back = (
    <p>
      <Link to={`/orgs/${organizationId}/webhooks`}>← All webhooks</Link>
    </p>
  );
  if (query.isPending)
    return (
      <>
        <PageHeader title={TITLE} />
        <Loading what="Loading the endpoint" />
      </>
    );
  if (query.isError)
    return (
      <>
        <PageHeader title={TITLE} />
        {back}
        {isStatus(query.error, 404) ? (
          <Notice kind="error">This endpoint does not exist (any more).</Notice>
        ) : (
          <LoadError error={query.error} retry={() => query.refetch()} />
        )}
      </>
    );
  const webhook = query.data;
  return (
    <>
      <PageHeader title={TITLE} description={webhook.url} />
      {back}
      <EndpointSection organizationId={organizationId} webhook={webhook} />
      <DeliveryLog organizationId={organizationId} webhookId={webhook.id} />
    </>
  );
}

/** The endpoint as it is, and what an owner does with it: test, pause, rotate the secret, remove. */
function EndpointSection({ organizationId, webhook }: { organizationId: string; webhook: Webhook }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const path = { organizationId, webhookId: webhook.id };
  const [done, setDone] = useState<string | null>(null);
  // A rotated secret lives only here, like a new one: gone when the screen is left.
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: webhookKey(organizationId, webhook.id) });

  const setEnabled = useSetEnabled(organizationId, (changed) => {
    setDone(
      changed.enabled
        ? 'Enabled: waiting messages are on their way.'
        : 'Disabled: messages wait until it is enabled again.',
    );
    void refresh();
  });
  const test = useMutation({
    mutationFn: () => call(api.POST(`${HOOK}/test`, { params: { path } })),
    onSuccess: async () => {
      setDone('Sent a webhook.test message: its delivery is in the log below.');
      await queryClient.invalidateQueries({ queryKey: deliveriesKey(organizationId, webhook.id) });
    },
  });
  const rotate = useMutation({
    mutationFn: () => call(api.POST(`${HOOK}/rotate-secret`, { params: { path } })),
    gcTime: 0,
    onSuccess: async (rotated) => {
      setSecret(rotated.secret);
      setDone(null);
      await refresh();
    },
  });
  const remove = useDeleteWebhook(organizationId, (deleted) =>
    navigate(`/orgs/${organizationId}/webhooks`, { state: { deleted: deleted.url } }),
  );
  const busy = setEnabled.isPending || test.isPending || rotate.isPending || remove.isPending;

  return (
    <section className="section" aria-labelledby="webhook-endpoint-heading">
      <h2 id="webhook-endpoint-heading">Endpoint</h2>
      <FormError error={setEnabled.error ?? test.error ?? rotate.error ?? remove.error} />
      {done ? <Notice kind="success">{done}</Notice> : null}
      {secret ? (
        <>
          <SecretOnce
            label="The new signing secret"
            value={secret}
            kept="Gatehouse keeps it encrypted, to sign messages with"
          />
          <p className="muted">
            For 24 hours
            {webhook.previousSecretExpiresAt ? (
              <>
                {' '}
                (until <When at={webhook.previousSecretExpiresAt} />)
              </>
            ) : null}{' '}
            every message carries two signatures, with the new and the old secret: switch your receiver over before
            then.
          </p>
        </>
      ) : null}
      <dl className="details webhook-details">
        <dt>URL</dt>
        <dd>{webhook.url}</dd>
        <dt>Description</dt>
        <dd>{webhook.description ?? <span className="muted">None</span>}</dd>
        <dt>Events</dt>
        <dd>{eventsText(webhook.events)}</dd>
        <dt>Status</dt>
        <dd>
          <WebhookStatus webhook={webhook} />
        </dd>
        <dt>Signing secret</dt>
        <dd>
          <code>{webhook.secretStart}…</code>
          {webhook.previousSecretExpiresAt ? (
            <span className="muted webhook-subline">
              The previous one signs too until <When at={webhook.previousSecretExpiresAt} />.
            </span>
          ) : null}
        </dd>
        <dt>Added</dt>
        <dd>
          <When at={webhook.createdAt} />
        </dd>
      </dl>
      <div className="actions webhook-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={busy || !webhook.enabled}
          aria-busy={test.isPending || undefined}
          onClick={() => test.mutate()}
        >
          Send test
        </button>
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => setEnabled.mutate({ webhook, enabled: !webhook.enabled })}
        >
          {webhook.enabled ? 'Disable' : 'Enable'}
        </button>
        <ConfirmButton
          label="Rotate secret"
          title="Rotate the signing secret?"
          confirmLabel="Rotate secret"
          danger={false}
          pending={busy}
          onConfirm={() => rotate.mutate()}
        >
          <p>
            A new secret is shown once. For 24 hours messages are signed with both the new and the current secret, so
            your receiver can switch over; after that only the new one signs.
          </p>
        </ConfirmButton>
        <ConfirmButton
          label="Delete"
          accessibleLabel={`Delete ${webhook.url}`}
          title="Delete this endpoint?"
          confirmLabel="Delete endpoint"
          pending={busy}
          onConfirm={() => remove.mutate(webhook)}
        >
          <p>
            {webhook.url} receives nothing more, and its messages still waiting are dropped. The audit log keeps every
            record.
          </p>
        </ConfirmButton>
      </div>
      {webhook.enabled ? null : <p className="muted">A disabled endpoint is sent no test: enable it first.</p>}
    </section>
  );
}
