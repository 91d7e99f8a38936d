import { listQuerySchema } from '@gatehouse/contracts';
import { Type } from 'typebox';

export const OAUTH_APP_ID_PATTERN = '^oa_[0-9A-HJKMNP-TV-Z]{26}$';

const AppName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const RedirectUris = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { minItems: 1, maxItems: 10 });
// Any strings here, so an unknown scope gets INVALID_SCOPE naming it rather than a schema error.
const AllowedScopes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32 });
const ClientTypeSchema = Type.Unsafe<'public' | 'confidential'>({ type: 'string', enum: ['public', 'confidential'] });

export const CreateOAuthAppBody = Type.Object(
  { name: AppName, redirectUris: RedirectUris, type: ClientTypeSchema, allowedScopes: AllowedScopes },
  { additionalProperties: false },
);

export const UpdateOAuthAppBody = Type.Object(
  {
    name: Type.Optional(AppName),
    redirectUris: Type.Optional(RedirectUris),
    type: Type.Optional(ClientTypeSchema),
    allowedScopes: Type.Optional(AllowedScopes),
    /** Issues a new secret (shown once in this answer); the old one stops working at once. */
    rotateSecret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const OAuthAppParams = Type.Object({ id: Type.String({ pattern: OAUTH_APP_ID_PATTERN }) });

export const ListOAuthAppsQuery = listQuerySchema(['createdAt', 'name']);
