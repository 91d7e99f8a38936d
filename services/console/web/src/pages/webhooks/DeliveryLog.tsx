import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../../api/client';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { EmptyList, Pager, useCursorPages } from '../../components/Pager';
import { When } from '../../components/When';
import { ActionName } from '../audit/RecordDetails';
import { deliveriesKey, fetchDeliveries, refreshWhilePending, type WebhookDelivery } from './webhooks-api';

const REDELIVER =
  '/api/user/organizations/{organizationId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver' as const;
const STATUS_BADGES: Record<WebhookDelivery['status'], { label: string; className: string }> = {
  pending: { label: 'Pending', className: 'badge' },
  succeeded: { label: 'Succeeded', className: 'badge badge-success' },
  failed: { label: 'Failed', className: 'badge badge-warning' },
};

/**
 * The endpoint's messages, newest first, each with its latest attempt. Read again every few seconds
 * while one is pending, so an outcome shows without a reload.
 */
export function DeliveryLog({ organizationId, webhookId }: { organizationId: string; webhookId: string }) {
  const queryClient = useQueryClient();
  const pages = useCursorPages();
  const key = deliveriesKey(organizationId, webhookId);
  const log = useQuery({
    queryKey: [...key, pages.cursor ?? null],
    queryFn: () => fetchDeliveries(organizationId, webhookId, pages.cursor),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => refreshWhilePending(query.state.data?.items),
  });
  const [done, setDone] = useState<string | null>(null);
  const redeliver = useMutation({
    mutationFn: (delivery: WebhookDelivery) =>
      call(api.POST(REDELIVER, { params: { path: { organizationId, webhookId, deliveryId: delivery.id } } })),
    onSuccess: async (delivery) => {
      setDone(`Sending ${delivery.eventType} again (${delivery.messageId}).`);
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
  return (
    <section className="section" aria-labelledby="webhook-deliveries-heading">
      <div className="webhook-log-head">
        <h2 id="webhook-deliveries-heading">Delivery log</h2>
        <button type="button" className="button button-small" disabled={log.isFetching} onClick={() => log.refetch()}>
          Refresh
        </button>
      </div>
      <FormError error={redeliver.error} />
      {done ? <Notice kind="success">{done}</Notice> : null}
      {log.isPending ? (
        <Loading what="Loading deliveries" />
      ) : log.isError ? (
        <LoadError error={log.error} retry={() => log.refetch()} />
      ) : log.data.items.length === 0 ? (
        <EmptyList pages={pages} nextCursor={log.data.nextCursor}>
          Nothing delivered yet. Send a test message, or wait for the next audit record.
        </EmptyList>
      ) : (
        <>
          <div className="table-wrap">
            <table className="webhook-deliveries">
              <caption className="visually-hidden">Deliveries, newest first, page {pages.page}</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Latest attempt</th>
                </tr>
              </thead>
              <tbody>
                {log.data.items.map((delivery) => (
                  <DeliveryRow
                    key={delivery.id}
                    delivery={delivery}
                    busy={redeliver.isPending}
                    onRedeliver={() => redeliver.mutate(delivery)}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            pages={pages}
            nextCursor={log.data.nextCursor}
            label="Pages of deliveries"
            busy={log.isPlaceholderData}
          />
        </>
      )}
    </section>
  );
}

function DeliveryRow({
  delivery,
  busy,
  onRedeliver,
}: {
  delivery: WebhookDelivery;
  busy: boolean;
  onRedeliver: () => void;
}) {
  const badge = STATUS_BADGES[delivery.status];
  const latest = delivery.attemptLog[0];
  return (
    <tr data-testid="delivery-row">
      <td>
        <ActionName action={delivery.eventType} className="webhook-event" />
        <span className="muted webhook-subline">
          <When at={delivery.createdAt} />
        </span>
        <span className="muted webhook-subline webhook-message-id">{delivery.messageId}</span>
      </td>
      <td>
        <span className={badge.className}>{badge.label}</span>
        <span className="muted webhook-subline">
          {delivery.attempts === 1 ? '1 attempt' : `${delivery.attempts} attempts`}
        </span>
        {delivery.status === 'pending' && delivery.nextAttemptAt ? (
          <span className="muted webhook-subline">
            Next: <When at={delivery.nextAttemptAt} />
          </span>
        ) : null}
        <button
          type="button"
          className="button button-small webhook-redeliver"
          aria-label={`Redeliver ${delivery.eventType} ${delivery.messageId}`}
          disabled={busy || delivery.status === 'pending'}
          onClick={onRedeliver}
        >
          Redeliver
        </button>
      </td>
      <td>{latest ? <Attempt attempt={latest} /> : <span className="muted">Not tried yet</span>}</td>
    </tr>
  );
}

function Attempt({ attempt }: { attempt: WebhookDelivery['attemptLog'][number] }) {
  return (
    <div className="webhook-attempt">
      <span>
        {attempt.statusCode === null ? 'No answer' : `HTTP ${attempt.statusCode}`} in {attempt.latencyMs} ms
      </span>
      <span className="muted webhook-subline">
        <When at={attempt.attemptedAt} />
      </span>
      {attempt.error ? <span className="webhook-error">{attempt.error}</span> : null}
      {attempt.responseExcerpt ? <code className="webhook-excerpt">{attempt.responseExcerpt}</code> : null}
    </div>
  );
}
