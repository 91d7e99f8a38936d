import { EntitySchema } from '@mikro-orm/postgresql';

/**
 * One oidc-provider model instance (Grant, AuthorizationCode, RefreshToken, Session,
 * Interaction, ...). The columns beside `payload` are the lookups the provider needs
 * (by grant, session uid, user code) and the ones Gatehouse lists by (account, client).
 */
export interface OidcPayload {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  accountId: string | null;
  clientId: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  consumedAt: Date | null;
}

export const OidcPayloadSchema = new EntitySchema<OidcPayload>({
  name: 'OidcPayload',
  tableName: 'oidc_payloads',
  properties: {
    model: { type: 'string', primary: true },
    id: { type: 'string', primary: true },
    payload: { type: 'json' },
    grantId: { type: 'string', nullable: true },
    uid: { type: 'string', nullable: true },
    userCode: { type: 'string', nullable: true },
    accountId: { type: 'string', nullable: true },
    clientId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date', nullable: true },
    consumedAt: { type: 'Date', nullable: true },
  },
});
