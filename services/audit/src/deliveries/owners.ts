import type { MailMessage } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhookRow } from '../endpoints/entities.js';
import { recordedUrl } from '../endpoints/redact.js';

export interface Owner {
  email: string;
  name: string;
}

/** The organization's owners with an address to mail (the read models kept from the events). */
export async function ownersOf(em: EntityManager, organizationId: string): Promise<Owner[]> {
  return em.execute<Owner[]>(
    `select p.email, p.name from memberships m join people p on p.user_id = m.user_id
      where m.organization_id = ? and m.role = 'owner'
      order by p.email`,
    [organizationId],
  );
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** Tells an owner their endpoint was turned off, and how to turn it back on. */
export function endpointDisabledMail(owner: Owner, webhook: WebhookRow, publicUrl: string): MailMessage {
  const apiUrl = `${publicUrl.replace(/\/+$/, '')}/api/user/organizations/${webhook.organizationId}/webhooks/${webhook.id}`;
  const what = `Hello ${owner.name}, the webhook endpoint ${recordedUrl(webhook.url)} (${webhook.id}) kept failing, so Gatehouse stopped delivering to it.`;
  const kept =
    'Messages already queued for it wait and are sent, in order, once it is enabled again; the one that failed can be redelivered from its delivery log.';
  const howTo = `Fix the receiver, then enable the endpoint again: PUT ${apiUrl} with {"enabled": true}. Its delivery log (${apiUrl}/deliveries) shows what the receiver answered.`;
  return {
    to: owner.email,
    subject: 'A webhook endpoint was disabled',
    text: `${what}\n\n${kept}\n\n${howTo}\n`,
    html: `<p>${escapeHtml(what)}</p><p>${escapeHtml(kept)}</p><p>${escapeHtml(howTo)}</p>`,
  };
}
