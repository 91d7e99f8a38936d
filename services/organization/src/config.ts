import { mailConfigProperties, serviceConfigProperties } from '@gatehouse/service-kit';
import { type Static, Type } from 'typebox';

export const OrganizationConfig = Type.Object({
  ...serviceConfigProperties('organization', 4002),
  ...mailConfigProperties(),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:8080' }),
  INVITE_TTL_SECONDS: Type.Integer({ minimum: 300, default: 7 * 24 * 3600 }),
});
export type OrganizationConfig = Static<typeof OrganizationConfig>;
