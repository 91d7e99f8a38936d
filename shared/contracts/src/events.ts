import { type Static, type TSchema, Type } from 'typebox';
import type { AccessTokenFacts } from './access-tokens.js';
import { EntitlementsChangedData } from './billing.js';
import type { Amr, DirectoryPrincipal, ReadOnlyOrganization } from './principal.js';
import { ROLES, type Role } from './scopes.js';

/**
 * The event catalogue (docs/architecture.md "Events and exactly-once effect"). Subjects live under `events.` in one JetStream stream;
 * a deployment (or a test) may put every subject under a namespace prefix.
 */
export const EVENT_SUBJECTS = {
  userRegistered: 'events.identity.user.registered',
  userUpdated: 'events.identity.user.updated',
  userDeleted: 'events.identity.user.deleted',
  credentialRevoked: 'events.identity.credential.revoked',
  /** A second factor was added, removed or proven: gateways drop every cached credential of the user. */
  userSecurityChanged: 'events.identity.user.security_changed',
  /** An organization's security settings changed (MFA required): gateways drop their whole cache. */
  organizationSecurityUpdated: 'events.identity.organization.security_updated',
  /**
   * Identity has stored an organization's new read-only deadline (from billing's entitlements): gateways drop
   * their whole cache, since the principals identity answers from now on say otherwise. Published by identity,
   * after its own copy changed, so no gateway can re-cache the old answer in between.
   */
  organizationReadOnlyChanged: 'events.identity.organization.read_only_changed',
  organizationCreated: 'events.organization.created',
  organizationUpdated: 'events.organization.updated',
  organizationDeleted: 'events.organization.deleted',
  memberAdded: 'events.organization.member.added',
  memberRoleChanged: 'events.organization.member.role_changed',
  memberRemoved: 'events.organization.member.removed',
  /**
   * A directory (SCIM) changed who belongs to its organization and with which role: organization
   * applies the changes as an invitation or a removal would (member.added|role_changed|removed follow).
   */
  directoryMembershipsChanged: 'events.identity.directory.memberships_changed',
  /**
   * Something worth the audit log that no other event says (a sign-in, a key created, a project deleted):
   * one subject per producer, so each publishes only under its own name (docs/audit-logs.md).
   */
  identityActivity: 'events.identity.activity.recorded',
  organizationActivity: 'events.organization.activity.recorded',
  projectActivity: 'events.project.activity.recorded',
  /** The gateway's own security events (a key refused a route, an account rate-limited): published directly. */
  gatewayActivity: 'events.gateway.activity.recorded',
  billingActivity: 'events.billing.activity.recorded',
  /** An organization's plan, status or read-only deadline changed (docs/billing.md): limits follow it. */
  billingEntitlementsChanged: 'events.billing.entitlements.changed',
} as const;

export type EventSubject = (typeof EVENT_SUBJECTS)[keyof typeof EVENT_SUBJECTS];

/** Core-NATS request/reply subjects. */
export const RPC_SUBJECTS = {
  resolveCredential: 'identity.credentials.resolve',
  getMembership: 'organization.membership.get',
  provisionDefaultOrganization: 'organization.default.provision',
  provisionMember: 'organization.member.provision',
  getEntitlements: 'billing.entitlements.get',
  /** How many members an organization has now (billing's checkout: seats must cover them). */
  countMembers: 'organization.members.count',
} as const;

export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

export const UserRegisteredData = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
});
export const UserUpdatedData = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  handle: Type.String(),
  /** Added after the first cut: invitations need to know whether the email is proven. */
  isVerified: Type.Optional(Type.Boolean()),
});
export const UserDeletedData = Type.Object({ userId: Type.String() });
export const CredentialRevokedData = Type.Object({
  kind: Type.Union([Type.Literal('session'), Type.Literal('api_key'), Type.Literal('oauth'), Type.Literal('scim')]),
  id: Type.String(),
  userId: Type.String(),
});
/**
 * At most DIRECTORY_CHANGES_PER_EVENT changes per event (a 5,000-member group push becomes ten events):
 * `role` null means the person leaves the organization (deactivated or deleted in the directory).
 */
export const DirectoryMembershipsChangedData = Type.Object({
  directoryId: Type.String(),
  organizationId: Type.String(),
  changes: Type.Array(
    Type.Object({
      userId: Type.String(),
      role: Type.Union([RoleSchema, Type.Null()]),
      /**
       * What the directory asked for before (null: nothing). Organization demotes an owner only when the
       * directory had made them one: the founders who set it up are not demoted by a default role.
       */
      previousRole: Type.Optional(Type.Union([RoleSchema, Type.Null()])),
      email: Type.String(),
      name: Type.String(),
    }),
  ),
});
export const DIRECTORY_CHANGES_PER_EVENT = 500;
/** The second factors an account can have. */
export const MFA_FACTORS = ['totp', 'passkey', 'recovery_code'] as const;
export type MfaFactor = (typeof MFA_FACTORS)[number];
/**
 * `change` is a plain string (totp_enabled, totp_removed, passkey_added, passkey_removed, passkey_renamed,
 * recovery_codes_regenerated, factors_cleared, second_factor_verified) so a newer value never holds a consumer back.
 */
export const UserSecurityChangedData = Type.Object({
  userId: Type.String(),
  mfaEnabled: Type.Boolean(),
  factors: Type.Array(Type.String()),
  change: Type.String(),
});
export const OrganizationSecurityData = Type.Object({
  organizationId: Type.String(),
  mfaRequired: Type.Boolean(),
});
export const OrganizationReadOnlyChangedData = Type.Object({
  organizationId: Type.String(),
  readOnlyAfter: Type.Union([Type.String(), Type.Null()]),
});
export const OrganizationData = Type.Object({
  organizationId: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  /** On an update: the name and slug before (added for the audit log; older events lack it). */
  previous: Type.Optional(Type.Object({ name: Type.String(), slug: Type.String() })),
});

/** Who an audit record says acted (docs/audit-logs.md). */
export const ACTOR_TYPES = ['user', 'api_key', 'oauth_app', 'scim', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];
export const EventActorSchema = Type.Object({
  type: Type.Unsafe<ActorType>({ type: 'string', enum: [...ACTOR_TYPES] }),
  /** user id, API key id, OAuth client id, directory id, or the system part's name. */
  id: Type.String(),
  /** The person behind an API key or an OAuth app. */
  userId: Type.Optional(Type.String()),
});
export type EventActor = Static<typeof EventActorSchema>;

/**
 * The request an event was recorded while serving (service-kit attaches it to every event recorded in a
 * handler, and consumers pass it on to the events they record in turn). Absent for the system's own work.
 */
export const EventContextSchema = Type.Object({
  actor: Type.Optional(EventActorSchema),
  ip: Type.Optional(Type.String()),
  userAgent: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
});
export type EventContext = Static<typeof EventContextSchema>;

export const AuditTargetSchema = Type.Object({
  type: Type.String(),
  id: Type.String(),
  name: Type.Optional(Type.String()),
});
/** What changed on an update, field by field; never a secret. */
export const AuditChangesSchema = Type.Record(
  Type.String(),
  Type.Object({ before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) }),
);

/**
 * An activity event: one audit action (contracts' AUDIT_ACTIONS) that no other event records. `organizationId`
 * puts it in that organization's log; otherwise it goes to the account log of `userId`.
 */
export const ActivityRecordedData = Type.Object({
  action: Type.String(),
  organizationId: Type.Union([Type.String(), Type.Null()]),
  userId: Type.Union([Type.String(), Type.Null()]),
  /** Who acted, when the request carried no credential (a sign-in names its account here). */
  actor: Type.Optional(EventActorSchema),
  target: AuditTargetSchema,
  changes: Type.Optional(AuditChangesSchema),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  /** Why it failed (a machine-readable reason: `invalid_password`, `missing_scope`…). */
  reason: Type.Optional(Type.String()),
});
export type ActivityRecorded = Static<typeof ActivityRecordedData>;
export const MemberData = Type.Object({
  organizationId: Type.String(),
  userId: Type.String(),
  role: RoleSchema,
  /** On a role change: the role before (added for the audit log; older events lack it). */
  previousRole: Type.Optional(Type.String()),
});
/**
 * A removal names who left; the role they had is for the record only, so a role this build does not
 * know yet must not hold the removal back (consumers hold back events that fail their schema).
 */
export const MemberRemovedData = Type.Object({
  organizationId: Type.String(),
  userId: Type.String(),
  role: Type.String(),
});

export const EVENT_DATA_SCHEMAS: Record<EventSubject, TSchema> = {
  [EVENT_SUBJECTS.userRegistered]: UserRegisteredData,
  [EVENT_SUBJECTS.userUpdated]: UserUpdatedData,
  [EVENT_SUBJECTS.userDeleted]: UserDeletedData,
  [EVENT_SUBJECTS.credentialRevoked]: CredentialRevokedData,
  [EVENT_SUBJECTS.userSecurityChanged]: UserSecurityChangedData,
  [EVENT_SUBJECTS.organizationSecurityUpdated]: OrganizationSecurityData,
  [EVENT_SUBJECTS.organizationReadOnlyChanged]: OrganizationReadOnlyChangedData,
  [EVENT_SUBJECTS.organizationCreated]: OrganizationData,
  [EVENT_SUBJECTS.organizationUpdated]: OrganizationData,
  [EVENT_SUBJECTS.organizationDeleted]: OrganizationData,
  [EVENT_SUBJECTS.memberAdded]: MemberData,
  [EVENT_SUBJECTS.memberRoleChanged]: MemberData,
  [EVENT_SUBJECTS.memberRemoved]: MemberRemovedData,
  [EVENT_SUBJECTS.directoryMembershipsChanged]: DirectoryMembershipsChangedData,
  [EVENT_SUBJECTS.identityActivity]: ActivityRecordedData,
  [EVENT_SUBJECTS.organizationActivity]: ActivityRecordedData,
  [EVENT_SUBJECTS.projectActivity]: ActivityRecordedData,
  [EVENT_SUBJECTS.gatewayActivity]: ActivityRecordedData,
  [EVENT_SUBJECTS.billingActivity]: ActivityRecordedData,
  [EVENT_SUBJECTS.billingEntitlementsChanged]: EntitlementsChangedData,
};

export interface EventDataBySubject {
  [EVENT_SUBJECTS.userRegistered]: Static<typeof UserRegisteredData>;
  [EVENT_SUBJECTS.userUpdated]: Static<typeof UserUpdatedData>;
  [EVENT_SUBJECTS.userDeleted]: Static<typeof UserDeletedData>;
  [EVENT_SUBJECTS.credentialRevoked]: Static<typeof CredentialRevokedData>;
  [EVENT_SUBJECTS.userSecurityChanged]: Static<typeof UserSecurityChangedData>;
  [EVENT_SUBJECTS.organizationSecurityUpdated]: Static<typeof OrganizationSecurityData>;
  [EVENT_SUBJECTS.organizationReadOnlyChanged]: Static<typeof OrganizationReadOnlyChangedData>;
  [EVENT_SUBJECTS.organizationCreated]: Static<typeof OrganizationData>;
  [EVENT_SUBJECTS.organizationUpdated]: Static<typeof OrganizationData>;
  [EVENT_SUBJECTS.organizationDeleted]: Static<typeof OrganizationData>;
  [EVENT_SUBJECTS.memberAdded]: Static<typeof MemberData>;
  [EVENT_SUBJECTS.memberRoleChanged]: Static<typeof MemberData>;
  [EVENT_SUBJECTS.memberRemoved]: Static<typeof MemberRemovedData>;
  [EVENT_SUBJECTS.directoryMembershipsChanged]: Static<typeof DirectoryMembershipsChangedData>;
  [EVENT_SUBJECTS.identityActivity]: ActivityRecorded;
  [EVENT_SUBJECTS.organizationActivity]: ActivityRecorded;
  [EVENT_SUBJECTS.projectActivity]: ActivityRecorded;
  [EVENT_SUBJECTS.gatewayActivity]: ActivityRecorded;
  [EVENT_SUBJECTS.billingActivity]: ActivityRecorded;
  [EVENT_SUBJECTS.billingEntitlementsChanged]: Static<typeof EntitlementsChangedData>;
}

/** What travels on the wire for every event. */
export interface EventEnvelope<S extends EventSubject = EventSubject> {
  id: string;
  type: S;
  occurredAt: string;
  version: 1;
  /** The request that caused the event, so logs can be followed across services. */
  requestId?: string;
  /** Who caused it and from where (the audit log's actor, ip, userAgent). */
  context?: EventContext;
  data: EventDataBySubject[S];
}

/** Request/reply payloads. */
/**
 * A session token or PAT to resolve, or an OAuth access token the gateway has already verified
 * (signature, issuer, audience, expiry): identity answers whether what stands behind it is
 * still live — the token, the grant or app, the user — and which scopes remain.
 */
export type ResolveCredentialRequest =
  | { kind: 'session' | 'api_key' | 'scim'; secret: string }
  | ({ kind: 'oauth' } & AccessTokenFacts);

/** A person's credential as identity resolved it. */
export interface ResolvedPersonPrincipal {
  kind: 'session' | 'api_key' | 'oauth';
  userId: string;
  credentialId: string;
  clientId?: string;
  scopes: string[];
  organizationId: string | null;
  role: 'user' | 'admin';
  amr?: Amr[];
  secondFactorAt?: number | null;
  mfaEnrolled?: boolean;
  mfaBlockedIn?: string[];
  readOnlyIn?: ReadOnlyOrganization[];
  /** Seconds the gateway may cache this answer. */
  ttlSeconds: number;
}

export type ResolveCredentialReply =
  | { ok: true; principal: ResolvedPersonPrincipal }
  /** A directory's SCIM token (kind 'scim' requests only). */
  | { ok: true; principal: DirectoryPrincipal & { ttlSeconds: number } }
  | { ok: false; reason: 'INVALID_OR_EXPIRED_TOKEN' | 'INVALID_API_KEY' | 'USER_NOT_ACTIVE' };

export interface MembershipRequest {
  organizationId: string;
  userId: string;
}

export type MembershipReply =
  | { found: true; role: Static<typeof RoleSchema>; organizationExists: true }
  | { found: false; organizationExists: boolean };

export interface MemberCountRequest {
  organizationId: string;
}
export type MemberCountReply = { found: true; members: number } | { found: false };

export interface ProvisionRequest {
  userId: string;
  email: string;
  name: string;
}
export type ProvisionReply = { ok: true; organizationId: string } | { ok: false };

/**
 * An SSO sign-in's membership (identity asks, organization decides): added with the role, or moved to it,
 * with the same events an invitation or a role change records. An owner stays owner (owners are managed by
 * people, and the last-owner rule must hold). Email and name fill the member directory at once.
 */
export interface MemberProvisionRequest {
  organizationId: string;
  userId: string;
  role: Role;
  email?: string;
  name?: string;
}
export type MemberProvisionReply =
  | { ok: true; role: Role }
  | {
      ok: false;
      reason: 'ORGANIZATION_NOT_FOUND' | 'ROLE_NOT_PROVISIONABLE' | 'PLAN_LIMIT_REACHED' | 'SUBSCRIPTION_INACTIVE';
    };
