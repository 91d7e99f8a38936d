import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKeySchema } from '../api-keys/entities.js';
import { announceRevocation } from '../credentials/revocation.js';
import { appsMintedBy } from '../oauth-store/clients.js';
import { OAuthAppSchema, OidcPayloadSchema } from '../oauth-store/entities.js';
import { destroyGrant } from '../oauth-store/grants.js';

/**
 * Someone who leaves an organization keeps nothing that acts in it: their API keys pinned to it (a
 * pinned key's children carry the same pin, so all go), and their OAuth grants to apps pinned to it.
 * Each is announced in the caller's transaction, so every gateway drops it within a second. Their
 * account-wide credentials stay (the account is not the directory's unless it owns it: deprovision.ts).
 */
export async function revokeOrganizationCredentials(
  em: EntityManager,
  userId: string,
  organizationId: string,
  requestId?: string,
): Promise<void> {
  await deletePinnedKeys(em, userId, organizationId, requestId);
  await destroyPinnedGrants(em, userId, organizationId, requestId);
}

async function deletePinnedKeys(em: EntityManager, userId: string, organizationId: string, requestId?: string) {
  const keys = await em.find(ApiKeySchema, { userId, organizationId }, { fields: ['id', 'userId'] });
  if (keys.length === 0) return;
  const keyIds = keys.map((key) => key.id);
  for (const key of keys) announceRevocation(em, { kind: 'api_key', id: key.id, userId }, requestId);
  // Client-credentials tokens of an app whose secret a key minted stand only while that key does.
  for (const app of await appsMintedBy(em, keyIds, userId)) {
    announceRevocation(em, { kind: 'oauth', id: app.id, userId }, requestId);
  }
  await em.nativeDelete(ApiKeySchema, { id: { $in: keyIds } });
}

async function destroyPinnedGrants(em: EntityManager, userId: string, organizationId: string, requestId?: string) {
  const apps = await em.find(OAuthAppSchema, { organizationId }, { fields: ['id'] });
  if (apps.length === 0) return;
  const grants = await em.find(
    OidcPayloadSchema,
    { model: 'Grant', accountId: userId, clientId: { $in: apps.map((app) => app.id) } },
    { fields: ['id'] },
  );
  for (const grant of grants) await destroyGrant(em, grant.id, requestId);
}
