import { SCIM_BASE_PATH } from '@gatehouse/contracts';

/** Where IdPs reach /scim/v2 (Okta's "SCIM connector base URL", Entra ID's "Tenant URL"). */
export function scimBaseUrl(config: { PUBLIC_URL: string }): string {
  return `${config.PUBLIC_URL.replace(/\/+$/, '')}${SCIM_BASE_PATH}`;
}
