import { EVENT_SUBJECTS, type EventSubject } from './events.js';

/**
 * The audit log's action catalogue (docs/audit-logs.md): every action a record can name, the log it goes to,
 * and the one event it is made from. An action comes from exactly one subject, so nothing is recorded twice.
 * Organization actions are also what webhooks deliver (docs/webhooks.md). Extend, never rename.
 */
export interface AuditActionSpec {
  /** `organization`: the organization's log (and its webhooks); `account`: the person's own security log. */
  log: 'organization' | 'account';
  /** The kind of thing the record's target is. */
  target: string;
  /**
   * Where it comes from: a domain event, an activity event (EVENT_SUBJECTS.*Activity), or `audit` for what the
   * audit service records itself, in the transaction of the change (its webhooks, an export).
   */
  source: EventSubject | 'audit';
  summary: string;
}

const identity = EVENT_SUBJECTS.identityActivity;
const organization = EVENT_SUBJECTS.organizationActivity;
const project = EVENT_SUBJECTS.projectActivity;
const gateway = EVENT_SUBJECTS.gatewayActivity;
const billing = EVENT_SUBJECTS.billingActivity;

const organizationAction = (target: string, source: AuditActionSpec['source'], summary: string): AuditActionSpec => ({
  log: 'organization',
  target,
  source,
  summary,
});
const accountAction = (target: string, source: AuditActionSpec['source'], summary: string): AuditActionSpec => ({
  log: 'account',
  target,
  source,
  summary,
});

export const AUDIT_ACTIONS = {
  'organization.created': organizationAction(
    'organization',
    EVENT_SUBJECTS.organizationCreated,
    'An organization was created',
  ),
  'organization.updated': organizationAction(
    'organization',
    EVENT_SUBJECTS.organizationUpdated,
    'Its name or slug changed',
  ),
  'organization.deleted': organizationAction(
    'organization',
    EVENT_SUBJECTS.organizationDeleted,
    'The organization was deleted',
  ),
  'organization.security_updated': organizationAction(
    'organization',
    EVENT_SUBJECTS.organizationSecurityUpdated,
    'Its security settings (MFA required) changed',
  ),
  'member.added': organizationAction('member', EVENT_SUBJECTS.memberAdded, 'Someone joined the organization'),
  'member.role_changed': organizationAction('member', EVENT_SUBJECTS.memberRoleChanged, "A member's role changed"),
  'member.removed': organizationAction('member', EVENT_SUBJECTS.memberRemoved, 'Someone left or was removed'),
  'invitation.created': organizationAction('invitation', organization, 'Someone was invited'),
  'invitation.revoked': organizationAction('invitation', organization, 'An invitation was withdrawn'),
  'invitation.accepted': organizationAction('invitation', organization, 'An invitation was accepted'),
  'project.created': organizationAction('project', project, 'A project was created'),
  'project.updated': organizationAction('project', project, 'A project changed'),
  'project.deleted': organizationAction('project', project, 'A project was deleted'),
  'billing.checkout_started': organizationAction(
    'subscription',
    billing,
    'An owner started a checkout for a paid plan',
  ),
  'billing.settings_updated': organizationAction(
    'billing_settings',
    billing,
    'The billing profile (email, company, address, tax id) changed',
  ),
  'subscription.started': organizationAction('subscription', billing, 'A paid subscription started'),
  'subscription.changed': organizationAction(
    'subscription',
    billing,
    'The plan, seats, interval or renewal changed (`changes` says which)',
  ),
  'subscription.past_due': organizationAction('subscription', billing, 'A payment failed: the grace period began'),
  'subscription.read_only': organizationAction(
    'subscription',
    billing,
    'The grace period ended unpaid: the organization became read-only',
  ),
  'subscription.canceled': organizationAction('subscription', billing, 'The paid subscription ended (back to Free)'),
  'invoice.paid': organizationAction('invoice', billing, 'An invoice was paid'),
  'invoice.payment_failed': organizationAction('invoice', billing, 'A payment of an invoice failed'),
  'sso_connection.created': organizationAction('sso_connection', identity, 'An SSO connection was added'),
  'sso_connection.updated': organizationAction('sso_connection', identity, 'An SSO connection changed'),
  'sso_connection.deleted': organizationAction('sso_connection', identity, 'An SSO connection was removed'),
  'sso_domain.added': organizationAction('sso_domain', identity, 'An email domain was claimed'),
  'sso_domain.verified': organizationAction('sso_domain', identity, 'A claimed domain was proven by DNS'),
  'sso_domain.unverified': organizationAction(
    'sso_domain',
    identity,
    'A verified domain lost its DNS proof (the record gone for three checks): the system unverified it',
  ),
  'sso_domain.removed': organizationAction('sso_domain', identity, 'A claimed domain was released'),
  'directory.created': organizationAction('directory', identity, 'A SCIM directory was connected'),
  'directory.updated': organizationAction('directory', identity, "A directory's name or role mapping changed"),
  'directory.token_rotated': organizationAction('directory', identity, "A directory's SCIM token was rotated"),
  'directory.deleted': organizationAction('directory', identity, 'A SCIM directory was disconnected'),
  'webhook.created': organizationAction('webhook', 'audit', 'A webhook endpoint was added'),
  'webhook.updated': organizationAction('webhook', 'audit', 'A webhook endpoint changed'),
  'webhook.deleted': organizationAction('webhook', 'audit', 'A webhook endpoint was removed'),
  'webhook.secret_rotated': organizationAction('webhook', 'audit', "A webhook endpoint's signing secret was rotated"),
  'webhook.disabled': organizationAction(
    'webhook',
    'audit',
    'Deliveries failed for three days: the endpoint was disabled',
  ),
  'audit_log.exported': organizationAction('audit_log', 'audit', 'The audit log was exported'),
  'audit_log.retention_updated': organizationAction('audit_log', 'audit', "The log's retention period changed"),

  'user.registered': accountAction('user', EVENT_SUBJECTS.userRegistered, 'The account was created'),
  'user.updated': accountAction('user', EVENT_SUBJECTS.userUpdated, 'Its name, handle or email changed'),
  'user.deleted': accountAction('user', EVENT_SUBJECTS.userDeleted, 'The account was deleted'),
  'user.password_changed': accountAction('user', identity, 'The password was changed'),
  'user.password_reset': accountAction('user', identity, 'The password was reset by email (every credential ended)'),
  'session.created': accountAction('session', identity, 'A sign-in succeeded'),
  'sign_in.failed': accountAction('user', identity, 'A sign-in was refused (wrong password, second factor…)'),
  'session.revoked': accountAction('session', EVENT_SUBJECTS.credentialRevoked, 'A session ended'),
  'api_key.created': accountAction('api_key', identity, 'An API key was created'),
  'api_key.updated': accountAction('api_key', identity, 'An API key was renamed'),
  'api_key.revoked': accountAction('api_key', EVENT_SUBJECTS.credentialRevoked, 'An API key was revoked'),
  'api_key.denied': accountAction(
    'api_key',
    gateway,
    'A key or OAuth token was refused a route (scope, pinned organization, account-wide route)',
  ),
  'rate_limit.exceeded': accountAction('user', gateway, 'The account hit a rate limit'),
  'oauth_app.created': accountAction('oauth_app', identity, 'An OAuth app was registered'),
  'oauth_app.updated': accountAction('oauth_app', identity, 'An OAuth app changed'),
  'oauth_app.secret_rotated': accountAction('oauth_app', identity, "An OAuth app's client secret was rotated"),
  'oauth_app.deleted': accountAction('oauth_app', identity, 'An OAuth app was deleted'),
  'oauth_grant.revoked': accountAction(
    'oauth_grant',
    EVENT_SUBJECTS.credentialRevoked,
    "An app's access to the account ended",
  ),
  'mfa.changed': accountAction(
    'user',
    EVENT_SUBJECTS.userSecurityChanged,
    'A second factor was added, removed or proven (`changes.change` says which)',
  ),
} as const satisfies Record<string, AuditActionSpec>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, value);
}

/** The actions of an organization's log: what a webhook endpoint may subscribe to (plus `webhook.test`). */
export const WEBHOOK_EVENT_TYPES = (Object.keys(AUDIT_ACTIONS) as AuditAction[]).filter(
  (action) => AUDIT_ACTIONS[action].log === 'organization',
);
/** What `POST …/webhooks/:webhookId/test` sends. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** Records are kept this long unless the organization chooses otherwise. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
/** Shortening the log is how an intruder would hide: never below a month. */
export const MIN_AUDIT_RETENTION_DAYS = 30;
export const MAX_AUDIT_RETENTION_DAYS = 3650;
