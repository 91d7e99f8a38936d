import type { AuthenticatedPrincipal } from '@gatehouse/contracts';

export type CachedResolution =
  | { ok: true; principal: AuthenticatedPrincipal }
  | { ok: false; reason: 'INVALID_OR_EXPIRED_TOKEN' | 'INVALID_API_KEY' | 'USER_NOT_ACTIVE' };

interface Entry {
  value: CachedResolution;
  expiresAt: number;
  /** The credential ids indexing this entry. */
  ids: string[];
}

/**
 * Resolved credentials for a few seconds, keyed by a hash of the secret (never the secret).
 * Revocation events purge by credential id, so a revoked key stops working at once.
 */
export class CredentialCache {
  private entries = new Map<string, Entry>();
  private byCredentialId = new Map<string, Set<string>>();

  constructor(private readonly maxEntries = 100_000) {}

  get(key: string, now = Date.now()): CachedResolution | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * `alsoRevokedBy`: further ids whose revocation ends this entry (an OAuth token's own id and
   * its app's, besides its grant).
   */
  set(key: string, value: CachedResolution, ttlSeconds: number, alsoRevokedBy: string[] = [], now = Date.now()): void {
    if (ttlSeconds <= 0) return;
    if (this.entries.size >= this.maxEntries) this.evictOldest();
    this.entries.set(key, { value, expiresAt: now + ttlSeconds * 1000, ids: [] });
    if (value.ok) {
      const ids = [...new Set([value.principal.credentialId, ...alsoRevokedBy])];
      (this.entries.get(key) as Entry).ids = ids;
      for (const id of ids) {
        const keys = this.byCredentialId.get(id) ?? new Set();
        keys.add(key);
        this.byCredentialId.set(id, keys);
      }
    }
  }

  /** Drops every cached resolution of this credential. */
  purge(credentialId: string): void {
    for (const key of [...(this.byCredentialId.get(credentialId) ?? [])]) this.delete(key);
    this.byCredentialId.delete(credentialId);
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    for (const id of entry?.ids ?? []) this.byCredentialId.get(id)?.delete(key);
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.delete(oldest.value);
  }
}
