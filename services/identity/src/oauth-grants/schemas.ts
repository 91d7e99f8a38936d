import { Type } from 'typebox';

/** oidc-provider grant ids are nanoids. */
export const GrantParams = Type.Object({ grantId: Type.String({ pattern: '^[A-Za-z0-9_-]{10,100}$' }) });

/** The list takes no parameters; an unknown one is refused, as everywhere. */
export const NoQuery = Type.Object({}, { additionalProperties: false });
