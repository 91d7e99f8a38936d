import { EntitySchema } from '@mikro-orm/postgresql';

export interface ApiKey {
  /** ak_ + ULID */
  id: string;
  userId: string;
  name: string;
  /** sha256 of the full key; the key itself is shown once and never stored. */
  keyHash: string;
  /** The first characters, for recognising a key in a list. */
  start: string;
  scopes: string[];
  organizationId: string | null;
  /** The key that created this one (its delegation: it is disabled and deleted with it). */
  parentKeyId: string | null;
  enabled: boolean;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'string', index: true },
    name: { type: 'string' },
    keyHash: { type: 'string', unique: true, hidden: true },
    start: { type: 'string' },
    scopes: { type: 'json' },
    organizationId: { type: 'string', nullable: true },
    parentKeyId: { type: 'string', nullable: true },
    enabled: { type: 'boolean' },
    expiresAt: { type: 'Date', nullable: true },
    lastUsedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

/** Whether a key may act now: enabled and unexpired. */
export function isLiveKey(key: ApiKey, now = new Date()): boolean {
  return key.enabled && (key.expiresAt === null || key.expiresAt > now);
}

/** What list and get show: never the key or its hash. */
export function presentApiKey(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    start: key.start,
    scopes: key.scopes,
    metadata: key.organizationId ? { organizationId: key.organizationId } : {},
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    enabled: key.enabled,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
  };
}
