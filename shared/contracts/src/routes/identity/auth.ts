import { Type } from 'typebox';
import { NoData, Nullable, Timestamp } from '../common.js';
import { defineRoutes } from '../contract.js';
import {
  CallbackUrl,
  CurrentPassword,
  Email,
  FullName,
  LinkToken,
  Password,
  PERSON_ONLY,
  SignInAnswer,
  User,
} from './schemas.js';

/** Both mail-sending routes take an address and answer the same whether or not it has an account. */
export const EmailOnlyBody = Type.Object(
  { email: Email, callbackURL: Type.Optional(CallbackUrl) },
  { additionalProperties: false },
);

const SESSION_COOKIE = {
  'set-cookie':
    'The session cookie (HttpOnly, SameSite=Lax; Secure unless the public URL is plain http), valid until the session ends',
} as const;

const tag = 'Auth';

export const AUTH_ROUTES = defineRoutes({
  signUp: {
    method: 'POST',
    path: '/api/auth/sign-up/email',
    upstream: 'identity',
    tag,
    summary: 'Create an account',
    description:
      'Mails a verification link and provisions a default organization. The password must not be the email address.',
    auth: 'none',
    limit: 'signUp',
    body: Type.Object({ email: Email, password: Password, name: FullName }, { additionalProperties: false }),
    response: { status: 200, data: User },
    errors: ['CONFLICT'],
  },
  signIn: {
    method: 'POST',
    path: '/api/auth/sign-in/email',
    upstream: 'identity',
    tag,
    summary: 'Sign in with email and password',
    description:
      'Sets the session cookie. An unknown email and a wrong password get the same answer. An account with a second factor gets `{mfaRequired: true, challengeId, factors}` and no cookie: answer it at `POST /api/auth/mfa/verify`.',
    auth: 'none',
    limit: 'signIn',
    body: Type.Object(
      {
        email: Email,
        password: CurrentPassword,
        rememberMe: Type.Optional(Type.Boolean()),
        callbackURL: Type.Optional(CallbackUrl),
      },
      { additionalProperties: false },
    ),
    response: { status: 200, data: SignInAnswer, headers: SESSION_COOKIE },
    errors: ['INVALID_CREDENTIALS', 'USER_NOT_ACTIVE', 'SSO_REQUIRED'],
  },
  signOut: {
    method: 'POST',
    path: '/api/auth/sign-out',
    upstream: 'identity',
    tag,
    summary: 'Sign out (end this session)',
    description: 'Only a session signs out; an API key is revoked instead.',
    auth: 'required',
    response: { status: 200, data: NoData, headers: { 'set-cookie': 'Clears the session cookie' } },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  sendVerificationEmail: {
    method: 'POST',
    path: '/api/auth/send-verification-email',
    upstream: 'identity',
    tag,
    summary: 'Mail the verification link again',
    auth: 'none',
    limit: 'verificationEmail',
    body: EmailOnlyBody,
    response: { status: 200, data: NoData },
  },
  verifyEmail: {
    method: 'GET',
    path: '/api/auth/verify-email',
    upstream: 'identity',
    tag,
    summary: 'Verify the email address (the mailed link)',
    description:
      'Unless the request is signed in as that same account, verifying ends every session and key of the account and clears its password (`credentialsEnded: true`); a password-reset link is mailed to the address.',
    // Optional: identity learns whether the person following the link is signed in as that account.
    auth: 'optional',
    query: Type.Object({ token: LinkToken }, { additionalProperties: false }),
    response: {
      status: 200,
      data: Type.Object(
        {
          email: Type.String(),
          isVerified: Type.Literal(true),
          verifiedAt: Nullable(Timestamp),
          credentialsEnded: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
    },
    errors: ['INVALID_OR_EXPIRED_TOKEN'],
  },
  requestPasswordReset: {
    method: 'POST',
    path: '/api/auth/request-password-reset',
    upstream: 'identity',
    tag,
    summary: 'Mail a password-reset link',
    description: 'Answers the same whether or not the address has an account; the link is single-use.',
    auth: 'none',
    limit: 'passwordReset',
    body: EmailOnlyBody,
    response: { status: 200, data: NoData },
  },
  resetPassword: {
    method: 'POST',
    path: '/api/auth/reset-password',
    upstream: 'identity',
    tag,
    summary: 'Set a new password from a reset link',
    description: 'Ends every session, key and OAuth grant of the account, and counts the address as verified.',
    auth: 'none',
    body: Type.Object({ token: LinkToken, newPassword: Password }, { additionalProperties: false }),
    response: { status: 200, data: NoData },
    errors: ['INVALID_OR_EXPIRED_TOKEN', 'SSO_REQUIRED'],
  },
  changePassword: {
    method: 'POST',
    path: '/api/auth/change-password',
    upstream: 'identity',
    tag,
    summary: 'Change the password (signed in)',
    description:
      'With `revokeOtherSessions`, every other session, key and OAuth grant ends; the calling session stays.',
    auth: 'required',
    scopes: ['user:write'],
    credentials: PERSON_ONLY,
    limit: 'passwordCheck',
    body: Type.Object(
      { currentPassword: CurrentPassword, newPassword: Password, revokeOtherSessions: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    response: { status: 200, data: NoData },
    errors: ['INVALID_CREDENTIALS', 'FORBIDDEN', 'MFA_REQUIRED'],
  },
});
