import { Type } from 'typebox';
import { MAX_AUDIT_RETENTION_DAYS, MIN_AUDIT_RETENTION_DAYS } from '../audit.js';
import { ACTOR_TYPES } from '../events.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../pagination.js';
import { NoData, Nullable, OrganizationParams, Timestamp, Ulid } from './common.js';
import { defineRoutes } from './contract.js';

/**
 * The audit service's routes (docs/audit-logs.md, docs/webhooks.md): an organization's hash-chained audit log,
 * the account's own security log, and the organization's outgoing webhooks.
 */

const ActorType = Type.Unsafe<(typeof ACTOR_TYPES)[number]>({ type: 'string', enum: [...ACTOR_TYPES] });

export const AuditRecord = Type.Object(
  {
    id: Ulid,
    /** The organization's log it belongs to; null for an account's own security log. */
    organizationId: Nullable(Ulid),
    /** The account whose security log it belongs to; null for an organization's log. */
    userId: Nullable(Ulid),
    /** One of the catalogue's actions (docs/audit-logs.md): `member.role_changed`, `api_key.created`… */
    action: Type.String(),
    actor: Type.Object(
      {
        type: ActorType,
        id: Type.String(),
        /** The person behind an API key or OAuth app. */
        userId: Nullable(Type.String()),
        /** As it was when the record was made (null when not known). */
        name: Nullable(Type.String()),
      },
      { additionalProperties: false },
    ),
    target: Type.Object(
      { type: Type.String(), id: Type.String(), name: Nullable(Type.String()) },
      { additionalProperties: false },
    ),
    /** Field by field, `{before, after}`; never a secret. */
    changes: Nullable(
      Type.Record(
        Type.String(),
        Type.Object({ before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) }),
      ),
    ),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    reason: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    requestId: Nullable(Type.String()),
    occurredAt: Timestamp,
    /** Its place in its log's hash chain (1, 2, 3… per log). */
    sequence: Type.Integer({ minimum: 1 }),
    /** SHA-256 (hex) of the record before it in the chain; the first record's is 64 zeros (or the pruned anchor). */
    previousHash: Type.String(),
    /** SHA-256 (hex) over `previousHash` and this record's fields (docs/audit-logs.md says exactly how). */
    hash: Type.String(),
  },
  { additionalProperties: false },
);

const SearchText = Type.String({ minLength: 1, maxLength: 100 });
const filters = {
  /** An action (`member.role_changed`) or a family of them (`member.*`). */
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+(\\.([a-z_]+|\\*))?$' })),
  actorId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Records at or after this instant. */
  since: Type.Optional(Type.String({ format: 'date-time' })),
  /** Records before this instant. */
  until: Type.Optional(Type.String({ format: 'date-time' })),
  /** A case-insensitive substring of the action, actor, target, ip or request id. */
  q: Type.Optional(SearchText),
};
/** Newest first, by cursor only: a log grows at its head, so offsets would shift under the reader. */
const AuditListQuery = Type.Object(
  {
    ...filters,
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);
const AuditExportQuery = Type.Object(
  { ...filters, format: Type.Union([Type.Literal('jsonl'), Type.Literal('csv')], { default: 'jsonl' }) },
  { additionalProperties: false },
);

export const AuditChainVerification = Type.Object(
  {
    /** Every record's hash is what its fields and the one before it make. */
    intact: Type.Boolean(),
    /** How many records were checked. */
    checked: Type.Integer({ minimum: 0 }),
    /** The first record whose stored hash or link does not hold, or null. */
    firstBroken: Nullable(
      Type.Object(
        {
          id: Ulid,
          sequence: Type.Integer(),
          /** `hash_mismatch` (its fields were changed), `link_mismatch` (a record before it was changed or removed), `sequence_gap` (a record is missing). */
          reason: Type.Union([
            Type.Literal('hash_mismatch'),
            Type.Literal('link_mismatch'),
            Type.Literal('sequence_gap'),
          ]),
        },
        { additionalProperties: false },
      ),
    ),
    /** Records older than the retention period were pruned: the chain starts from this anchor. */
    anchor: Nullable(Type.Object({ sequence: Type.Integer(), hash: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const AuditSettings = Type.Object(
  {
    /** Records older than this are deleted by the retention sweep (default 365). */
    retentionDays: Type.Integer({ minimum: MIN_AUDIT_RETENTION_DAYS, maximum: MAX_AUDIT_RETENTION_DAYS }),
  },
  { additionalProperties: false },
);

const WebhookUrl = Type.String({ minLength: 1, maxLength: 2048 });
const WebhookEvents = Type.Array(
  Type.String({ minLength: 1, maxLength: 64, pattern: '^(\\*|[a-z_]+\\.([a-z_]+|\\*))$' }),
  {
    minItems: 1,
    maxItems: 100,
  },
);
const WebhookDescription = Nullable(Type.String({ maxLength: 500 }));

export const Webhook = Type.Object(
  {
    id: Ulid,
    organizationId: Ulid,
    url: Type.String(),
    /** Actions delivered: exact (`member.added`), a family (`member.*`), or `*` for every organization action. */
    events: Type.Array(Type.String()),
    description: WebhookDescription,
    enabled: Type.Boolean(),
    /** Why deliveries stopped (`deliveries_failing` after three days of failures), or null. */
    disabledReason: Nullable(Type.String()),
    /** The first characters of the current signing secret, to tell secrets apart. */
    secretStart: Type.String(),
    /** Until then deliveries are also signed with the secret before the last rotation. */
    previousSecretExpiresAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

/** The signing secret (`whsec_…`) is answered only here, once: at creation and at rotation. */
export const WebhookWithSecret = Type.Object(
  { webhook: Webhook, secret: Type.String() },
  { additionalProperties: false },
);

export const WebhookAttempt = Type.Object(
  {
    attemptedAt: Timestamp,
    /** The receiver's HTTP status, or null when none came (timeout, refused address, connection error). */
    statusCode: Nullable(Type.Integer()),
    latencyMs: Type.Integer({ minimum: 0 }),
    /** The first bytes of the receiver's answer. */
    responseExcerpt: Nullable(Type.String()),
    error: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const WebhookDelivery = Type.Object(
  {
    id: Ulid,
    webhookId: Ulid,
    /** The `webhook-id` header: the same on every attempt and redelivery of one message. */
    messageId: Type.String(),
    eventType: Type.String(),
    /** The audit record it delivers (null for a test message). */
    recordId: Nullable(Ulid),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Nullable(Timestamp),
    /** The latest attempts, newest first. */
    attemptLog: Type.Array(WebhookAttempt),
    createdAt: Timestamp,
    completedAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);

const WebhookParams = Type.Object({ organizationId: Ulid, webhookId: Ulid }, { additionalProperties: false });
const DeliveryParams = Type.Object(
  { organizationId: Ulid, webhookId: Ulid, deliveryId: Ulid },
  { additionalProperties: false },
);
const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')])),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);

const auditTag = 'Audit logs';
const webhookTag = 'Webhooks';
const LOG = '/api/user/organizations/:organizationId/audit-logs';
const HOOKS = '/api/user/organizations/:organizationId/webhooks';
const EXPORT_DESCRIPTION =
  'Streamed, oldest first, one record per line (`jsonl`) or a header row and one row per record (`csv`, changes as JSON). Same filters as the list.';

export const AUDIT_ROUTES = defineRoutes({
  listAuditLogs: {
    method: 'GET',
    path: LOG,
    upstream: 'audit',
    tag: auditTag,
    summary: "Search an organization's audit log, newest first",
    description:
      'Owners (`organization:manage-security`) see every record; other members see the records of their own actions.',
    auth: 'required',
    scopes: ['audit-logs:read'],
    permission: 'organization:read',
    params: OrganizationParams,
    query: AuditListQuery,
    response: { status: 200, data: AuditRecord, list: true },
  },
  exportAuditLogs: {
    method: 'GET',
    path: `${LOG}/export`,
    upstream: 'audit',
    tag: auditTag,
    summary: "Export an organization's audit log",
    description: EXPORT_DESCRIPTION,
    auth: 'required',
    scopes: ['audit-logs:read'],
    permission: 'organization:manage-security',
    params: OrganizationParams,
    query: AuditExportQuery,
    response: {
      status: 200,
      contentType: 'application/x-ndjson',
      alternateContentTypes: ['text/csv'],
      headers: { 'content-disposition': 'attachment; filename="audit-log-<organizationId>.jsonl" (or .csv)' },
    },
  },
  verifyAuditLogs: {
    method: 'GET',
    path: `${LOG}/verify`,
    upstream: 'audit',
    tag: auditTag,
    summary: "Recompute the organization's hash chain and report the first broken link",
    auth: 'required',
    scopes: ['audit-logs:read'],
    permission: 'organization:manage-security',
    params: OrganizationParams,
    response: { status: 200, data: AuditChainVerification },
  },
  getAuditSettings: {
    method: 'GET',
    path: `${LOG}/settings`,
    upstream: 'audit',
    tag: auditTag,
    summary: "Read the organization's audit log retention",
    auth: 'required',
    scopes: ['audit-logs:read'],
    permission: 'organization:manage-security',
    params: OrganizationParams,
    response: { status: 200, data: AuditSettings },
  },
  updateAuditSettings: {
    method: 'PUT',
    path: `${LOG}/settings`,
    upstream: 'audit',
    tag: auditTag,
    summary: "Change the organization's audit log retention",
    description: 'With a session only (a key could otherwise shorten the log it is recorded in). 30 to 3650 days.',
    auth: 'required',
    scopes: ['organizations:write'],
    credentials: ['session'],
    permission: 'organization:manage-security',
    params: OrganizationParams,
    body: AuditSettings,
    response: { status: 200, data: AuditSettings },
  },
  listMyAuditLogs: {
    method: 'GET',
    path: '/api/user/me/audit-logs',
    upstream: 'audit',
    tag: auditTag,
    summary: "Search the account's own security log, newest first",
    description: 'Sign-ins (failed ones too), sessions, API keys and their refusals, OAuth apps, second factors.',
    auth: 'required',
    scopes: ['audit-logs:read'],
    accountWide: true,
    query: AuditListQuery,
    response: { status: 200, data: AuditRecord, list: true },
  },

  listWebhooks: {
    method: 'GET',
    path: HOOKS,
    upstream: 'audit',
    tag: webhookTag,
    summary: "List the organization's webhook endpoints",
    auth: 'required',
    scopes: ['webhooks:read'],
    permission: 'organization:manage-security',
    params: OrganizationParams,
    query: Type.Object(
      {
        limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT }),
        cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
      },
      { additionalProperties: false },
    ),
    response: { status: 200, data: Webhook, list: true },
  },
  createWebhook: {
    method: 'POST',
    path: HOOKS,
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Add a webhook endpoint',
    description:
      'An `https` URL on a public address. The signing secret is answered once; deliveries follow the Standard Webhooks spec.',
    auth: 'required',
    scopes: ['webhooks:write'],
    permission: 'organization:manage-security',
    params: OrganizationParams,
    body: Type.Object(
      { url: WebhookUrl, events: WebhookEvents, description: Type.Optional(WebhookDescription) },
      { additionalProperties: false },
    ),
    response: { status: 201, data: WebhookWithSecret },
  },
  getWebhook: {
    method: 'GET',
    path: `${HOOKS}/:webhookId`,
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Read a webhook endpoint',
    auth: 'required',
    scopes: ['webhooks:read'],
    permission: 'organization:manage-security',
    params: WebhookParams,
    response: { status: 200, data: Webhook },
  },
  updateWebhook: {
    method: 'PUT',
    path: `${HOOKS}/:webhookId`,
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Change a webhook endpoint',
    description: '`enabled: true` turns a disabled endpoint back on; its pending deliveries resume.',
    auth: 'required',
    scopes: ['webhooks:write'],
    permission: 'organization:manage-security',
    params: WebhookParams,
    body: Type.Object(
      {
        url: Type.Optional(WebhookUrl),
        events: Type.Optional(WebhookEvents),
        description: Type.Optional(WebhookDescription),
        enabled: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    response: { status: 200, data: Webhook },
  },
  deleteWebhook: {
    method: 'DELETE',
    path: `${HOOKS}/:webhookId`,
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Remove a webhook endpoint (its pending deliveries are dropped)',
    auth: 'required',
    scopes: ['webhooks:write'],
    permission: 'organization:manage-security',
    params: WebhookParams,
    response: { status: 200, data: NoData },
  },
  rotateWebhookSecret: {
    method: 'POST',
    path: `${HOOKS}/:webhookId/rotate-secret`,
    // Security keeps working while the organization is read-only (an unpaid subscription).
    whileReadOnly: 'allowed',
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Rotate the signing secret',
    description:
      'For 24 hours deliveries carry two signatures (new and old secret) in `webhook-signature`, so a receiver can switch over at its own pace.',
    auth: 'required',
    scopes: ['webhooks:write'],
    permission: 'organization:manage-security',
    params: WebhookParams,
    response: { status: 200, data: WebhookWithSecret },
  },
  testWebhook: {
    method: 'POST',
    path: `${HOOKS}/:webhookId/test`,
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Send a `webhook.test` message',
    auth: 'required',
    scopes: ['webhooks:write'],
    permission: 'organization:manage-security',
    params: WebhookParams,
    response: { status: 202, data: WebhookDelivery },
    errors: ['CONFLICT'],
  },
  listWebhookDeliveries: {
    method: 'GET',
    path: `${HOOKS}/:webhookId/deliveries`,
    upstream: 'audit',
    tag: webhookTag,
    summary: "An endpoint's delivery log, newest first",
    auth: 'required',
    scopes: ['webhooks:read'],
    permission: 'organization:manage-security',
    params: WebhookParams,
    query: DeliveriesQuery,
    response: { status: 200, data: WebhookDelivery, list: true },
  },
  redeliverWebhook: {
    method: 'POST',
    path: `${HOOKS}/:webhookId/deliveries/:deliveryId/redeliver`,
    upstream: 'audit',
    tag: webhookTag,
    summary: 'Send a delivered or failed message again (same `webhook-id`)',
    auth: 'required',
    scopes: ['webhooks:write'],
    permission: 'organization:manage-security',
    params: DeliveryParams,
    response: { status: 202, data: WebhookDelivery },
    errors: ['CONFLICT'],
  },
});
