import { MAIL_RETENTION, QueuedMailSchema, type ServiceDefinition } from '@gatehouse/service-kit';
import { migrations } from '../migrations/index.js';
import { ApiKeySchema } from './api-keys/entities.js';
import { DirectorySchema, DirectoryTokenSchema } from './directories/entities.js';
import { MfaPasskeySchema, MfaRecoveryCodeSchema, MfaTotpSchema } from './factors/entities.js';
import { UserMembershipSchema } from './memberships/entities.js';
import { MfaChallengeSchema } from './mfa-challenges/entities.js';
import { OrganizationSecuritySchema } from './mfa-policy/entities.js';
import { OAuthAppSchema, OidcPayloadSchema } from './oauth-store/entities.js';
import { OneTimeTokenSchema } from './one-time-tokens/entities.js';
import { ScimGroupMemberSchema, ScimGroupSchema, ScimUserSchema } from './scim/entities.js';
import { LoginEventSchema, SessionSchema } from './sessions/entities.js';
import {
  OrganizationDomainSchema,
  SamlAssertionReplaySchema,
  SsoConnectionSchema,
  SsoIdentitySchema,
  SsoLoginRequestSchema,
} from './sso/entities.js';
import { UserSchema } from './users/entities.js';

export const identityService: ServiceDefinition = {
  name: 'identity',
  entities: [
    UserSchema,
    SessionSchema,
    LoginEventSchema,
    OneTimeTokenSchema,
    ApiKeySchema,
    QueuedMailSchema,
    UserMembershipSchema,
    OAuthAppSchema,
    OidcPayloadSchema,
    OrganizationDomainSchema,
    SsoConnectionSchema,
    SsoIdentitySchema,
    SsoLoginRequestSchema,
    SamlAssertionReplaySchema,
    MfaTotpSchema,
    MfaPasskeySchema,
    MfaRecoveryCodeSchema,
    MfaChallengeSchema,
    OrganizationSecuritySchema,
    DirectorySchema,
    DirectoryTokenSchema,
    ScimUserSchema,
    ScimGroupSchema,
    ScimGroupMemberSchema,
  ],
  migrations,
  retention: [
    ...MAIL_RETENTION,
    // Expired or revoked sessions are kept a month for the account's own history, then go.
    {
      table: 'sessions',
      expired: "greatest(coalesce(revoked_at, expires_at), expires_at) < now() - interval '30 days'",
    },
    { table: 'one_time_tokens', expired: "expires_at < now() - interval '1 day'" },
    { table: 'login_events', expired: "at < now() - interval '365 days'" },
    // oidc-provider rows are invisible once expired (the adapter filters them); a day later they go.
    { table: 'oidc_payloads', expired: "expires_at < now() - interval '1 day'" },
    // A started SSO sign-in and a seen assertion id matter only until they expire.
    { table: 'sso_login_requests', expired: "expires_at < now() - interval '1 day'" },
    { table: 'saml_assertion_replays', expired: "expires_at < now() - interval '1 day'" },
    // Challenges and ceremonies last minutes; a day later they go.
    { table: 'mfa_challenges', expired: "expires_at < now() - interval '1 day'" },
    // SCIM (docs/scim.md "Retention"): a deleted SCIM user's tombstone, an ended token and a deleted
    // directory (with everything it provisioned, by cascade) are kept 30 days, then go. Accounts stay.
    // A tombstone of an account the directory created stays while that account does: a person deleted and
    // provisioned again (a rehire) gets their account back instead of a dead link.
    { table: 'scim_users', expired: "deleted_at < now() - interval '30 days' and not owns_account" },
    { table: 'directory_tokens', expired: "expires_at < now() - interval '30 days'" },
    { table: 'directories', expired: "deleted_at < now() - interval '30 days'" },
  ],
};
