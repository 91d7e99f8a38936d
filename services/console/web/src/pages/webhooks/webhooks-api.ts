import type { components } from '@gatehouse/sdk';
import { useQuery } from '@tanstack/react-query';
import { api, call, callList } from '../../api/client';
import { organizationKey } from '../../api/organizations';

/** The webhook screens' reads: an organization's endpoints, one endpoint, and its delivery log. */

export type Webhook = components['schemas']['Webhook'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];

export const HOOKS = '/api/user/organizations/{organizationId}/webhooks' as const;
export const HOOK = '/api/user/organizations/{organizationId}/webhooks/{webhookId}' as const;
const DELIVERIES = '/api/user/organizations/{organizationId}/webhooks/{webhookId}/deliveries' as const;
/** An organization has at most 20 endpoints (docs/webhooks.md): one page holds them all. */
const MAX_ENDPOINTS = 100;
export const DELIVERY_PAGE_SIZE = 20;
/** While a delivery is pending its outcome is a few seconds away: the log is read again this often. */
const PENDING_REFRESH_MS = 2_000;
/** The subscription to every organization action. */
export const EVERY_EVENT = '*';

export const webhooksKey = (organizationId: string) => [...organizationKey(organizationId), 'webhooks'] as const;
export const webhookKey = (organizationId: string, webhookId: string) =>
  [...webhooksKey(organizationId), webhookId] as const;
export const deliveriesKey = (organizationId: string, webhookId: string) =>
  [...webhookKey(organizationId, webhookId), 'deliveries'] as const;

export function useWebhooks(organizationId: string) {
  return useQuery({
    queryKey: webhooksKey(organizationId),
    queryFn: async () =>
      (await callList(api.GET(HOOKS, { params: { path: { organizationId }, query: { limit: MAX_ENDPOINTS } } }))).items,
  });
}

export function useWebhook(organizationId: string, webhookId: string) {
  return useQuery({
    queryKey: webhookKey(organizationId, webhookId),
    queryFn: () => call(api.GET(HOOK, { params: { path: { organizationId, webhookId } } })),
  });
}

export function fetchDeliveries(organizationId: string, webhookId: string, cursor: string | undefined) {
  return callList(
    api.GET(DELIVERIES, {
      params: { path: { organizationId, webhookId }, query: { limit: DELIVERY_PAGE_SIZE, cursor } },
    }),
  );
}

/** Refetch interval for a page of the log: only while one of its deliveries is still under way. */
export function refreshWhilePending(items: WebhookDelivery[] | undefined): number | false {
  return items?.some((delivery) => delivery.status === 'pending') ? PENDING_REFRESH_MS : false;
}

/** `['*']` reads as "Every event"; otherwise the patterns as they are. */
export function eventsText(events: string[]): string {
  return events.includes(EVERY_EVENT) ? 'Every event' : events.join(', ');
}
