import { listQuerySchema, ULID_PATTERN } from '@gatehouse/contracts';
import { Type } from 'typebox';
import { Email } from '../accounts/schemas.js';

export const SignInBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 128 }),
    rememberMe: Type.Optional(Type.Boolean()),
    callbackURL: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export const SessionParams = Type.Object(
  { sessionId: Type.String({ pattern: ULID_PATTERN }) },
  { additionalProperties: false },
);
export const LoginHistoryQuery = listQuerySchema(['at']);
