import { Type } from 'typebox';
import { listQuerySchema } from '../../pagination.js';
import { NoData, Ulid } from '../common.js';
import { defineRoutes } from '../contract.js';
import {
  AccountExport,
  CREDENTIAL_MANAGERS,
  FullName,
  Handle,
  LoginEvent,
  PERSON_ONLY,
  Session,
  User,
} from './schemas.js';

const ME = '/api/user/me';

export const ACCOUNT_ROUTES = defineRoutes({
  getMe: {
    method: 'GET',
    path: ME,
    upstream: 'identity',
    tag: 'Account',
    summary: 'Read your profile',
    auth: 'required',
    scopes: ['user:read'],
    response: { status: 200, data: User },
  },
  updateMe: {
    method: 'PUT',
    path: ME,
    upstream: 'identity',
    tag: 'Account',
    summary: 'Change your name or handle',
    auth: 'required',
    scopes: ['user:write'],
    accountWide: true,
    body: Type.Object(
      { fullName: Type.Optional(FullName), handle: Type.Optional(Handle) },
      { additionalProperties: false, minProperties: 1 },
    ),
    response: { status: 200, data: User },
    errors: ['CONFLICT', 'FORBIDDEN'],
  },
  deleteMe: {
    method: 'DELETE',
    path: ME,
    upstream: 'identity',
    tag: 'Account',
    summary: 'Delete your account',
    description: 'Ends every session, key, OAuth app and grant of the account.',
    auth: 'required',
    scopes: ['user:write'],
    credentials: PERSON_ONLY,
    response: { status: 200, data: NoData },
    errors: ['FORBIDDEN', 'MFA_REQUIRED'],
  },
  exportMe: {
    method: 'GET',
    path: `${ME}/export`,
    upstream: 'identity',
    tag: 'Account',
    summary: 'Export everything identity holds about you',
    description:
      'As the lists show it to this credential: a pinned credential sees only its organization and the keys and apps pinned to it, keys need `api-keys:read`, an OAuth token sees no keys, apps or grants.',
    auth: 'required',
    scopes: ['user:read'],
    response: { status: 200, data: AccountExport },
  },
  listLoginHistory: {
    method: 'GET',
    path: `${ME}/login-history`,
    upstream: 'identity',
    tag: 'Account',
    summary: 'List your sign-in attempts',
    description: 'Newest first unless sorted by `at`.',
    auth: 'required',
    scopes: ['user:read'],
    query: listQuerySchema({ sort: ['at'] }),
    response: { status: 200, data: LoginEvent, list: true },
  },
  // Sessions are credentials: managed with a session or a key, never an OAuth token, and account-wide.
  listSessions: {
    method: 'GET',
    path: '/api/user/sessions',
    upstream: 'identity',
    tag: 'Sessions',
    summary: 'List your active sessions',
    description:
      'Most recently used first unless sorted otherwise; `current` marks the calling session. `lastSeenAt` moves as sessions are used: walk with `sort=createdAt` for a cursor that never shifts.',
    auth: 'required',
    scopes: ['user:read'],
    credentials: CREDENTIAL_MANAGERS,
    accountWide: true,
    query: listQuerySchema({ sort: ['lastSeenAt', 'createdAt'] }),
    response: { status: 200, data: Session, list: true },
    errors: ['FORBIDDEN'],
  },
  revokeSession: {
    method: 'DELETE',
    path: '/api/user/sessions/:sessionId',
    upstream: 'identity',
    tag: 'Sessions',
    summary: 'End one of your sessions',
    auth: 'required',
    scopes: ['user:write'],
    credentials: CREDENTIAL_MANAGERS,
    accountWide: true,
    params: Type.Object({ sessionId: Ulid }, { additionalProperties: false }),
    response: { status: 200, data: NoData },
    errors: ['FORBIDDEN'],
  },
});
