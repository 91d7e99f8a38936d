import { Type } from 'typebox';
import { listQuerySchema } from '../../pagination.js';
import { NoData, Nullable, OrganizationParams, Timestamp, Ulid } from '../common.js';
import { defineRoutes, type RouteContract } from '../contract.js';
import { EmailOnlyBody } from './auth.js';
import {
  ChallengeId,
  CREDENTIAL_MANAGERS,
  LinkToken,
  MfaChallenge,
  MfaFactorName,
  PERSON_ONLY,
  SignedIn,
  SignInAnswer,
  WebAuthnOptionsJson,
} from './schemas.js';

/**
 * Second factors (authenticator app, passkeys, recovery codes), the sign-in step that asks for one,
 * passwordless sign-in (passkey, magic link), step-up, and an organization's MFA policy (docs/mfa.md).
 */

export const SixDigits = Type.String({ pattern: '^[0-9]{6}$' });
/** Shown as `XXXX-XXXX-XXXX-XXXX`; spaces, hyphens and case do not matter when typed back. */
export const RecoveryCode = Type.String({ minLength: 16, maxLength: 24, pattern: '^[0-9A-Za-z -]+$' });
export const PasskeyName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const RECOVERY_CODE_COUNT = 10;

/** A WebAuthn credential as `PublicKeyCredential.toJSON()` gives it; sizes bounded, the library checks the rest. */
export const WebAuthnCredentialJson = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' }),
    rawId: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' }),
    type: Type.Literal('public-key'),
    response: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 16 }),
    clientExtensionResults: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 16 }),
    authenticatorAttachment: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
  },
  { additionalProperties: false },
);
export const Passkey = Type.Object(
  {
    id: Ulid,
    name: Type.String(),
    createdAt: Timestamp,
    lastUsedAt: Nullable(Timestamp),
    /** `multiDevice`: synced (a platform passkey); `singleDevice`: bound to one authenticator (a security key). */
    deviceType: Type.Unsafe<'singleDevice' | 'multiDevice'>({ type: 'string', enum: ['singleDevice', 'multiDevice'] }),
    backedUp: Type.Boolean(),
    transports: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

export const MfaStatus = Type.Object(
  {
    /** A confirmed authenticator app or at least one passkey. */
    enabled: Type.Boolean(),
    factors: Type.Array(MfaFactorName),
    totp: Type.Object({ confirmedAt: Nullable(Timestamp) }, { additionalProperties: false }),
    passkeyCount: Type.Integer({ minimum: 0 }),
    recoveryCodesLeft: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** Shown once; only their hashes are kept. Null when the account already had codes. */
const RecoveryCodes = Type.Array(Type.String(), { minItems: RECOVERY_CODE_COUNT, maxItems: RECOVERY_CODE_COUNT });

export const MfaVerifyBody = Type.Union([
  Type.Object(
    { challengeId: ChallengeId, type: Type.Literal('totp'), code: SixDigits },
    { additionalProperties: false },
  ),
  Type.Object(
    { challengeId: ChallengeId, type: Type.Literal('recovery_code'), code: RecoveryCode },
    { additionalProperties: false },
  ),
  Type.Object(
    { challengeId: ChallengeId, type: Type.Literal('passkey'), credential: WebAuthnCredentialJson },
    { additionalProperties: false },
  ),
]);

export const SecuritySettings = Type.Object(
  { mfaRequired: Type.Boolean(), updatedAt: Nullable(Timestamp) },
  { additionalProperties: false },
);

const SESSION_COOKIE = { 'set-cookie': 'The session cookie, when a sign-in challenge completes' } as const;
const EmptyBody = Type.Object({}, { additionalProperties: false });
const PasskeyParams = Type.Object({ passkeyId: Ulid }, { additionalProperties: false });

/** The account's own factors: only the person, in a session (a key or an app must not add a way in). */
const own = {
  upstream: 'identity',
  auth: 'required',
  scopes: ['user:write'],
  credentials: PERSON_ONLY,
  accountWide: true,
  tag: 'Two-step verification',
} as const satisfies Partial<RouteContract>;

const signIn = { upstream: 'identity', tag: 'Auth' } as const satisfies Partial<RouteContract>;

export const MFA_ROUTES = defineRoutes({
  verifyMfa: {
    ...signIn,
    method: 'POST',
    path: '/api/auth/mfa/verify',
    summary: 'Prove the second factor of a challenge (sign-in or step-up)',
    description:
      'A challenge allows 5 attempts in 5 minutes and is spent by the first right answer. A sign-in challenge sets the session cookie; a step-up challenge (from `POST /api/user/mfa/step-up`) must be answered by the same session and refreshes its second factor. Each authenticator code works once.',
    auth: 'optional',
    limit: 'mfaVerify',
    body: MfaVerifyBody,
    response: {
      status: 200,
      data: Type.Object(
        {
          ...SignedIn.properties,
          /** A challenge opened by an SSO sign-in: where the browser goes next (its `returnTo`). */
          redirectTo: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      headers: SESSION_COOKIE,
    },
    errors: ['INVALID_CREDENTIALS', 'INVALID_OR_EXPIRED_TOKEN', 'USER_NOT_ACTIVE', 'FORBIDDEN'],
  },
  describeMfaChallenge: {
    ...signIn,
    method: 'POST',
    path: '/api/auth/mfa/challenge',
    summary: 'Read a challenge again (after an SSO sign-in or a reload)',
    auth: 'none',
    limit: 'mfaVerify',
    body: Type.Object({ challengeId: ChallengeId }, { additionalProperties: false }),
    response: { status: 200, data: MfaChallenge },
    errors: ['INVALID_OR_EXPIRED_TOKEN'],
  },
  passkeyOptions: {
    ...signIn,
    method: 'POST',
    path: '/api/auth/passkey/options',
    summary: 'Start a passwordless sign-in with a passkey',
    description:
      'Discoverable credentials: no account is named, so the browser offers the passkeys it has for this site (conditional UI works with these options).',
    auth: 'none',
    limit: 'passkeyStart',
    body: EmptyBody,
    response: {
      status: 200,
      data: Type.Object({ ceremonyId: ChallengeId, options: WebAuthnOptionsJson }, { additionalProperties: false }),
    },
  },
  passkeySignIn: {
    ...signIn,
    method: 'POST',
    path: '/api/auth/passkey/verify',
    summary: 'Sign in with a passkey',
    description: 'A passkey with user verification is two factors in one: the session counts as MFA.',
    auth: 'none',
    limit: 'passkeyStart',
    body: Type.Object({ ceremonyId: ChallengeId, credential: WebAuthnCredentialJson }, { additionalProperties: false }),
    response: { status: 200, data: SignedIn, headers: SESSION_COOKIE },
    errors: ['INVALID_CREDENTIALS', 'INVALID_OR_EXPIRED_TOKEN', 'USER_NOT_ACTIVE', 'SSO_REQUIRED'],
  },
  requestMagicLink: {
    ...signIn,
    method: 'POST',
    path: '/api/auth/magic-link',
    summary: 'Mail a sign-in link',
    description:
      'Answers the same whether or not the address has an account. The link works once, for 15 minutes; a newer one replaces it. An account with a second factor still meets that step.',
    auth: 'none',
    limit: 'magicLink',
    body: EmailOnlyBody,
    response: { status: 200, data: NoData },
  },
  verifyMagicLink: {
    ...signIn,
    method: 'POST',
    path: '/api/auth/magic-link/verify',
    summary: 'Sign in with a mailed link',
    description:
      'A POST (the console page asks for a click) so mail scanners that open links do not spend it. Following the link proves the address: an unverified account is verified, and what a stranger set up on it (password, sessions, factors) ends.',
    auth: 'none',
    body: Type.Object({ token: LinkToken }, { additionalProperties: false }),
    response: { status: 200, data: SignInAnswer, headers: SESSION_COOKIE },
    errors: ['INVALID_OR_EXPIRED_TOKEN', 'USER_NOT_ACTIVE', 'SSO_REQUIRED'],
  },

  getMfaStatus: {
    ...own,
    scopes: ['user:read'],
    credentials: CREDENTIAL_MANAGERS,
    method: 'GET',
    path: '/api/user/mfa',
    summary: 'Which second factors the account has',
    response: { status: 200, data: MfaStatus },
  },
  enrollTotp: {
    ...own,
    method: 'POST',
    path: '/api/user/mfa/totp/enroll',
    summary: 'Start setting up an authenticator app',
    description:
      'Answers a new secret (RFC 6238: SHA-1, 6 digits, 30 seconds) as text, as an `otpauth://` URI and as a QR code; nothing changes until `confirm`. Starting again replaces a pending secret.',
    body: EmptyBody,
    response: {
      status: 200,
      data: Type.Object(
        { secret: Type.String(), otpauthUri: Type.String(), qrCodeDataUrl: Type.String() },
        { additionalProperties: false },
      ),
    },
    errors: ['CONFLICT', 'MFA_REQUIRED'],
  },
  confirmTotp: {
    ...own,
    method: 'POST',
    path: '/api/user/mfa/totp/confirm',
    summary: 'Turn the authenticator app on with a code from it',
    description: 'The first factor of an account also answers its 10 recovery codes, shown this once.',
    limit: 'mfaVerify',
    body: Type.Object({ code: SixDigits }, { additionalProperties: false }),
    response: {
      status: 200,
      data: Type.Object({ recoveryCodes: Nullable(RecoveryCodes) }, { additionalProperties: false }),
    },
    errors: ['INVALID_CREDENTIALS', 'NOT_FOUND', 'CONFLICT', 'MFA_REQUIRED'],
  },
  deleteTotp: {
    ...own,
    method: 'DELETE',
    path: '/api/user/mfa/totp',
    summary: 'Turn the authenticator app off',
    description: 'When it was the last factor, the recovery codes go too.',
    response: { status: 200, data: NoData },
    errors: ['NOT_FOUND', 'MFA_REQUIRED'],
  },
  passkeyRegistrationOptions: {
    ...own,
    method: 'POST',
    path: '/api/user/mfa/passkeys/register/options',
    summary: 'Start adding a passkey',
    description: 'Discoverable, with user verification; the account’s passkeys are excluded.',
    body: EmptyBody,
    response: {
      status: 200,
      data: Type.Object({ ceremonyId: ChallengeId, options: WebAuthnOptionsJson }, { additionalProperties: false }),
    },
    errors: ['CONFLICT', 'MFA_REQUIRED'],
  },
  passkeyRegistrationVerify: {
    ...own,
    method: 'POST',
    path: '/api/user/mfa/passkeys/register/verify',
    summary: 'Add the passkey the browser created',
    description: 'The first factor of an account also answers its 10 recovery codes, shown this once.',
    body: Type.Object(
      { ceremonyId: ChallengeId, credential: WebAuthnCredentialJson, name: Type.Optional(PasskeyName) },
      { additionalProperties: false },
    ),
    response: {
      status: 201,
      data: Type.Object({ passkey: Passkey, recoveryCodes: Nullable(RecoveryCodes) }, { additionalProperties: false }),
    },
    errors: ['INVALID_CREDENTIALS', 'INVALID_OR_EXPIRED_TOKEN', 'CONFLICT', 'FORBIDDEN'],
  },
  listPasskeys: {
    ...own,
    scopes: ['user:read'],
    credentials: CREDENTIAL_MANAGERS,
    method: 'GET',
    path: '/api/user/mfa/passkeys',
    summary: 'List the account’s passkeys',
    query: listQuerySchema({ sort: ['createdAt', 'lastUsedAt', 'name'] }),
    response: { status: 200, data: Passkey, list: true },
  },
  renamePasskey: {
    ...own,
    method: 'PATCH',
    path: '/api/user/mfa/passkeys/:passkeyId',
    summary: 'Rename a passkey',
    params: PasskeyParams,
    body: Type.Object({ name: PasskeyName }, { additionalProperties: false }),
    response: { status: 200, data: Passkey },
  },
  deletePasskey: {
    ...own,
    method: 'DELETE',
    path: '/api/user/mfa/passkeys/:passkeyId',
    summary: 'Remove a passkey',
    description: 'When it was the last factor, the recovery codes go too.',
    params: PasskeyParams,
    response: { status: 200, data: NoData },
    errors: ['MFA_REQUIRED'],
  },
  regenerateRecoveryCodes: {
    ...own,
    method: 'POST',
    path: '/api/user/mfa/recovery-codes',
    summary: 'Make 10 new recovery codes (the old ones stop working)',
    body: EmptyBody,
    response: { status: 200, data: Type.Object({ recoveryCodes: RecoveryCodes }, { additionalProperties: false }) },
    errors: ['NOT_FOUND', 'MFA_REQUIRED'],
  },
  startStepUp: {
    ...own,
    method: 'POST',
    path: '/api/user/mfa/step-up',
    summary: 'Confirm it is you before a sensitive change',
    description:
      'Opens a challenge for this session; answering it (`POST /api/auth/mfa/verify`) lets the session make sensitive changes for 10 minutes (MFA_REQUIRED with `meta.reason: "step_up"` says when one is needed).',
    limit: 'mfaVerify',
    body: EmptyBody,
    response: { status: 200, data: MfaChallenge },
    errors: ['NOT_FOUND'],
  },

  getSecuritySettings: {
    upstream: 'identity',
    tag: 'Organizations',
    auth: 'required',
    scopes: ['organizations:read'],
    credentials: CREDENTIAL_MANAGERS,
    permission: 'organization:read',
    method: 'GET',
    path: '/api/user/organizations/:organizationId/settings/security',
    summary: "The organization's security settings",
    params: OrganizationParams,
    response: { status: 200, data: SecuritySettings },
  },
  updateSecuritySettings: {
    upstream: 'identity',
    tag: 'Organizations',
    auth: 'required',
    scopes: ['organizations:write'],
    // Only a person, in a session that can step up: a leaked key must not be able to turn the policy off.
    credentials: PERSON_ONLY,
    permission: 'organization:manage-security',
    method: 'PUT',
    path: '/api/user/organizations/:organizationId/settings/security',
    // Security keeps working while the organization is read-only (an unpaid subscription).
    whileReadOnly: 'allowed',
    summary: 'Require a second factor of every member',
    description:
      'With `mfaRequired`, a member without a second factor gets 403 MFA_REQUIRED on the organization’s routes (a session that did not prove one too, and the member’s keys and app tokens until they enrol). Turning it on needs a factor of your own.',
    params: OrganizationParams,
    body: Type.Object({ mfaRequired: Type.Boolean() }, { additionalProperties: false }),
    response: { status: 200, data: SecuritySettings },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
});
