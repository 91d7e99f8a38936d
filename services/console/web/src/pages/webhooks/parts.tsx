import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { HOOK, type Webhook, webhooksKey } from './webhooks-api';

const DISABLED_REASONS: Record<string, string> = {
  deliveries_failing: 'deliveries failed for three days',
};

/** Enabled, or disabled and why (by an owner, or by Gatehouse after three days of failures). */
export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  if (webhook.enabled) return <span className="badge badge-success">Enabled</span>;
  const reason = webhook.disabledReason ? (DISABLED_REASONS[webhook.disabledReason] ?? webhook.disabledReason) : null;
  return (
    <>
      <span className="badge badge-warning">Disabled</span>
      {reason ? <span className="muted webhook-subline">Stopped: {reason}</span> : null}
    </>
  );
}

/** Turning an endpoint off keeps its messages waiting; turning it on again sends them. */
export function useSetEnabled(organizationId: string, onDone: (webhook: Webhook) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { webhook: Webhook; enabled: boolean }) =>
      call(
        api.PUT(HOOK, {
          params: { path: { organizationId, webhookId: input.webhook.id } },
          body: { enabled: input.enabled },
        }),
      ),
    onSuccess: async (webhook) => {
      onDone(webhook);
      await queryClient.invalidateQueries({ queryKey: webhooksKey(organizationId) });
    },
  });
}

export function useDeleteWebhook(organizationId: string, onDone: (webhook: Webhook) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (webhook: Webhook) =>
      call(api.DELETE(HOOK, { params: { path: { organizationId, webhookId: webhook.id } } })),
    onSuccess: async (_data, webhook) => {
      onDone(webhook);
      await queryClient.invalidateQueries({ queryKey: webhooksKey(organizationId) });
    },
  });
}
