import { Type } from 'typebox';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js';

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });
export const FullName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const Handle = Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{1,28}[a-z0-9])$' });

export const SignUpBody = Type.Object(
  { email: Email, password: Password, name: FullName },
  { additionalProperties: false },
);

export const UpdateMeBody = Type.Object(
  { fullName: Type.Optional(FullName), handle: Type.Optional(Handle) },
  { additionalProperties: false, minProperties: 1 },
);
