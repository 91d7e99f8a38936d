import { Type } from 'typebox';
import { Email, Password } from '../accounts/schemas.js';

const Token = Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9]+$' });

export const EmailOnlyBody = Type.Object(
  { email: Email, callbackURL: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export const VerifyEmailQuery = Type.Object({ token: Token }, { additionalProperties: false });
export const ResetPasswordBody = Type.Object({ token: Token, newPassword: Password }, { additionalProperties: false });
export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 128 }),
    newPassword: Password,
    revokeOtherSessions: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
