import { conflict, newId } from '@gatehouse/contracts';
import { findRowsPage, type TenantAccess } from '@gatehouse/service-kit';
import { type AuditContext, commit, readEm } from '../context.js';
import { type WebhookRow, webhookOf } from '../endpoints/entities.js';
import { newSigningSecret, PREVIOUS_SECRET_OVERLAP_MS, sealSecret, secretStartOf } from '../endpoints/secrets.js';
import { checkEvents } from './events.js';
import { changesBetween, journalWebhook } from './journal.js';
import { presentWebhook } from './present.js';
import { deleteWebhookRow, findWebhook, insertWebhook, lockOrganizationWebhooks, saveWebhook } from './store.js';
import { checkWebhookUrl } from './url.js';

/** Endpoints per organization: enough for every real integration, few enough that one record fans out cheaply. */
export const MAX_WEBHOOKS_PER_ORGANIZATION = 20;

export interface WebhookInput {
  url: string;
  events: string[];
  description?: string | null;
}

export interface WebhookChange {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

const cleanDescription = (description: string | null | undefined) => description?.trim() || null;

/** A fresh secret, sealed to the endpoint; the plain one is answered once and then only the seal is kept. */
function issueSecret(ctx: AuditContext, webhookId: string) {
  const secret = newSigningSecret();
  return { secret, sealed: sealSecret(ctx.secrets, webhookId, secret), start: secretStartOf(secret) };
}

export async function listWebhooks(ctx: AuditContext, tenant: TenantAccess, query: { limit: number; cursor?: string }) {
  const page = await findRowsPage<Record<string, unknown> & { id: string }>(
    readEm(ctx),
    {
      select: '*',
      from: 'webhooks',
      where: 'organization_id = ?',
      params: [tenant.organizationId],
      id: 'id',
      sortable: { id: { column: 'id', kind: 'string' } },
      defaultSort: 'id',
    },
    { offset: 0, ...query },
  );
  const now = new Date();
  return { items: page.items.map((raw) => presentWebhook(webhookOf(raw), now)), meta: page.meta };
}

export async function getWebhook(ctx: AuditContext, tenant: TenantAccess, webhookId: string) {
  return presentWebhook(await findWebhook(readEm(ctx), tenant.organizationId, webhookId));
}

export async function createWebhook(ctx: AuditContext, tenant: TenantAccess, input: WebhookInput) {
  const url = checkWebhookUrl(input.url, ctx.config.WEBHOOK_ALLOW_PRIVATE_URLS);
  const events = checkEvents(input.events);
  return commit(ctx, async (em) => {
    const existing = await lockOrganizationWebhooks(em, tenant.organizationId);
    if (existing >= MAX_WEBHOOKS_PER_ORGANIZATION) {
      throw conflict(
        'WEBHOOK_LIMIT_REACHED',
        `An organization has at most ${MAX_WEBHOOKS_PER_ORGANIZATION} webhook endpoints`,
      );
    }
    const id = newId();
    const issued = issueSecret(ctx, id);
    const now = new Date();
    const row: WebhookRow = {
      id,
      organizationId: tenant.organizationId,
      url,
      events,
      description: cleanDescription(input.description),
      enabled: true,
      disabledReason: null,
      secretSealed: issued.sealed,
      secretStart: issued.start,
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await insertWebhook(em, row);
    await journalWebhook(em, 'webhook.created', row, changesBetween(null, row));
    return { webhook: presentWebhook(row), secret: issued.secret };
  });
}

/** `enabled: true` turns the endpoint back on (its pending deliveries resume); `false` pauses it. */
export async function updateWebhook(ctx: AuditContext, tenant: TenantAccess, webhookId: string, input: WebhookChange) {
  const url = input.url === undefined ? undefined : checkWebhookUrl(input.url, ctx.config.WEBHOOK_ALLOW_PRIVATE_URLS);
  const events = input.events === undefined ? undefined : checkEvents(input.events);
  return commit(ctx, async (em) => {
    const before = await findWebhook(em, tenant.organizationId, webhookId, { lock: 'update' });
    const after: WebhookRow = {
      ...before,
      url: url ?? before.url,
      events: events ?? before.events,
      description: input.description === undefined ? before.description : cleanDescription(input.description),
      enabled: input.enabled ?? before.enabled,
      disabledReason: input.enabled === true ? null : before.disabledReason,
    };
    const changes = changesBetween(before, after);
    if (Object.keys(changes).length === 0 && after.disabledReason === before.disabledReason) {
      return presentWebhook(before);
    }
    after.updatedAt = new Date();
    await saveWebhook(em, after);
    await journalWebhook(em, 'webhook.updated', after, changes);
    return presentWebhook(after);
  });
}

export async function deleteWebhook(ctx: AuditContext, tenant: TenantAccess, webhookId: string) {
  await commit(ctx, async (em) => {
    const found = await findWebhook(em, tenant.organizationId, webhookId, { lock: 'update' });
    await deleteWebhookRow(em, found.id);
    await journalWebhook(em, 'webhook.deleted', found, changesBetween(found, null));
  });
}

/**
 * The current secret becomes the previous one, still signing for PREVIOUS_SECRET_OVERLAP_MS; a second rotation
 * within the overlap replaces the previous one with the then-current one (receivers hold at most two).
 */
export async function rotateWebhookSecret(ctx: AuditContext, tenant: TenantAccess, webhookId: string) {
  return commit(ctx, async (em) => {
    const found = await findWebhook(em, tenant.organizationId, webhookId, { lock: 'update' });
    const issued = issueSecret(ctx, found.id);
    const now = new Date();
    const rotated: WebhookRow = {
      ...found,
      secretSealed: issued.sealed,
      secretStart: issued.start,
      previousSecretSealed: found.secretSealed,
      previousSecretExpiresAt: new Date(now.getTime() + PREVIOUS_SECRET_OVERLAP_MS),
      updatedAt: now,
    };
    await saveWebhook(em, rotated);
    await journalWebhook(em, 'webhook.secret_rotated', rotated, null);
    return { webhook: presentWebhook(rotated, now), secret: issued.secret };
  });
}
