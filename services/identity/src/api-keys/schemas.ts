import { API_KEY_ID_PREFIX, listQuerySchema, ULID_PATTERN } from '@gatehouse/contracts';
import { Type } from 'typebox';

const KeyId = Type.String({ pattern: `^${API_KEY_ID_PREFIX}[0-9A-HJKMNP-TV-Z]{26}$` });
const KeyName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });

export const CreateApiKeyBody = Type.Object(
  {
    name: KeyName,
    expiresIn: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    // Any strings here, so an unknown scope gets INVALID_SCOPE naming it rather than a schema error.
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32 }),
    metadata: Type.Optional(
      Type.Object(
        { organizationId: Type.Optional(Type.String({ pattern: ULID_PATTERN })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export const ApiKeyIdQuery = Type.Object({ id: KeyId }, { additionalProperties: false });
export const UpdateApiKeyBody = Type.Object(
  { keyId: KeyId, name: Type.Optional(KeyName), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const DeleteApiKeyBody = Type.Object({ keyId: KeyId }, { additionalProperties: false });
export const ListApiKeysQuery = listQuerySchema(['createdAt', 'name', 'lastUsedAt']);
