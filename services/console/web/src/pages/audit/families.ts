/**
 * The action families of the audit catalogue (AUDIT_ACTIONS in shared/contracts/src/audit.ts), by log.
 * Kept here because the catalogue module carries the event subjects (and typebox) into the bundle;
 * test/e2e/console-audit.test.ts checks these against the catalogue, so a new family cannot be missed.
 */
export const ORGANIZATION_FAMILIES = [
  'organization',
  'member',
  'invitation',
  'project',
  'billing',
  'subscription',
  'invoice',
  'sso_connection',
  'sso_domain',
  'directory',
  'webhook',
  'audit_log',
] as const;

export const ACCOUNT_FAMILIES = [
  'user',
  'session',
  'sign_in',
  'api_key',
  'rate_limit',
  'oauth_app',
  'oauth_grant',
  'mfa',
] as const;

const LABELS: Record<string, string> = {
  organization: 'Organization',
  member: 'Members',
  invitation: 'Invitations',
  project: 'Projects',
  billing: 'Billing (checkout, profile)',
  subscription: 'Subscription',
  invoice: 'Invoices',
  sso_connection: 'SSO connections',
  sso_domain: 'SSO domains',
  directory: 'Directories (SCIM)',
  webhook: 'Webhooks',
  audit_log: 'Audit log',
  user: 'Account',
  session: 'Sessions and sign-ins',
  sign_in: 'Refused sign-ins',
  api_key: 'API keys',
  rate_limit: 'Rate limits',
  oauth_app: 'OAuth apps',
  oauth_grant: 'Authorized apps',
  mfa: 'Two-step verification',
};

/** `member` → `member.*`: the filter (and webhook subscription) naming a whole family. */
export function familyPattern(family: string): string {
  return `${family}.*`;
}

/** What a person reads for a family: "Members (member.*)". */
export function familyLabel(family: string): string {
  return `${LABELS[family] ?? family} (${familyPattern(family)})`;
}
