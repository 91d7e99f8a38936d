import { listQuerySchema } from '@gatehouse/contracts';
import { Type } from 'typebox';

/** oidc-provider grant ids are nanoids. */
export const GrantParams = Type.Object({ grantId: Type.String({ pattern: '^[A-Za-z0-9_-]{10,100}$' }) });

export const ListGrantsQuery = listQuerySchema(['createdAt', 'expiresAt']);
