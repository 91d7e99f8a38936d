import { type AuthenticatedPrincipal, type DirectoryPrincipal, userCredentialsPurgeId } from '@gatehouse/contracts';
import { LRUCache } from 'lru-cache';

export type CachedResolution =
  | { ok: true; principal: AuthenticatedPrincipal | DirectoryPrincipal }
  | { ok: false; reason: 'INVALID_OR_EXPIRED_TOKEN' | 'INVALID_API_KEY' | 'USER_NOT_ACTIVE' };

interface Entry {
  value: CachedResolution;
  /** On the caller's clock (`now`); lru-cache also expires the entry on its own clock after the same TTL. */
  expiresAt: number;
  /** The credential ids indexing this entry. */
  ids: string[];
}

/** A purge as remembered: its sequence number (ordering without trusting the clock) and when it happened. */
interface Purge {
  number: number;
  at: number;
}

/** What the cache holds, for tests and gauges: each count is bounded by `maxEntries` (ids: times the ids per entry). */
export interface CacheSizes {
  entries: number;
  /** Distinct credential ids (and `user:`/`directory:` ids) indexing a live entry. */
  indexedIds: number;
  /** Index references (id → key pairs): exactly the ids of every live entry. */
  indexedKeys: number;
  purges: number;
}

/**
 * Resolved credentials for a few seconds, keyed by a hash of the secret (never the secret).
 * Revocation events purge by credential id, so a revoked key stops working at once; a user's
 * security change purges by `user:<id>` (every credential of theirs), a policy change purges all.
 *
 * A purge finds nothing to drop when the look-up is still in flight (it read the key before the
 * revocation committed), so the cache also remembers, per credential id, the last purge for
 * `purgeMemoryMs`: the resolver takes a `purgeMark()` before asking and keeps the answer only if
 * none of its ids was purged since (`purgedSince`).
 *
 * Bounded under any number of distinct keys: lru-cache holds at most `maxEntries` (least recently
 * used leave first), and its dispose callback unindexes every entry that leaves (eviction, expiry,
 * purge, overwrite), so the id index never outgrows the entries.
 */
export class CredentialCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly byCredentialId = new Map<string, Set<string>>();
  private indexedKeys = 0;
  /** Oldest first (a purge moves its id to the end), so forgetting walks from the front. */
  private purges = new Map<string, Purge>();
  private purgeCount = 0;
  /** The newest purge already forgotten: a look-up marked before it cannot be cleared. */
  private forgottenThrough = 0;
  /** The number of the last purge of everything (purgeAll): a look-up marked before it is not kept. */
  private lastPurgeAll = 0;

  private readonly maxEntries: number;
  private readonly purgeMemoryMs: number;

  constructor({ maxEntries = 100_000, purgeMemoryMs = 30_000 } = {}) {
    this.maxEntries = maxEntries;
    this.purgeMemoryMs = purgeMemoryMs;
    this.entries = new LRUCache<string, Entry>({
      max: maxEntries,
      dispose: (entry, key) => this.unindex(key, entry.ids),
    });
  }

  get(key: string, now = Date.now()): CachedResolution | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
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
    const ids = idsOf(value, alsoRevokedBy);
    const ttl = ttlSeconds * 1000;
    // Disposes (and so unindexes) synchronously any entry this replaces or evicts, before the new one is indexed.
    this.entries.set(key, { value, expiresAt: now + ttl, ids }, { ttl });
    for (const id of ids) {
      const keys = this.byCredentialId.get(id);
      if (keys) keys.add(key);
      else this.byCredentialId.set(id, new Set([key]));
    }
    this.indexedKeys += ids.length;
  }

  /** Drops every cached resolution of this credential, and remembers that it did. */
  purge(credentialId: string, now = Date.now()): void {
    // Each delete disposes its entry, which shrinks (and at last removes) this id's set.
    for (const key of [...(this.byCredentialId.get(credentialId) ?? [])]) this.entries.delete(key);
    this.purgeCount += 1;
    this.purges.delete(credentialId);
    this.purges.set(credentialId, { number: this.purgeCount, at: now });
    this.forget(now);
  }

  /**
   * Drops every cached resolution (an organization's policy changed whose members nobody here can
   * list). Remembered as one number, so a look-up in flight across it is not kept either.
   */
  purgeAll(): void {
    // The index goes first, so the disposals of the clear find nothing left to unindex.
    this.byCredentialId.clear();
    this.indexedKeys = 0;
    this.entries.clear();
    this.purgeCount += 1;
    this.lastPurgeAll = this.purgeCount;
  }

  /** Taken before a look-up starts; see `purgedSince`. */
  purgeMark(): number {
    return this.purgeCount;
  }

  /**
   * Whether an id that would index this answer (see `set`) was purged after `mark` was taken; also
   * true when purges from that time are already forgotten (a look-up older than the memory).
   */
  purgedSince(mark: number, value: CachedResolution, alsoRevokedBy: string[] = [], now = Date.now()): boolean {
    const ids = idsOf(value, alsoRevokedBy);
    if (ids.length === 0) return false;
    if (this.lastPurgeAll > mark) return true;
    this.forget(now);
    if (this.forgottenThrough > mark) return true;
    return ids.some((id) => (this.purges.get(id)?.number ?? 0) > mark);
  }

  get size(): number {
    return this.entries.size;
  }

  sizes(): CacheSizes {
    return {
      entries: this.entries.size,
      indexedIds: this.byCredentialId.size,
      indexedKeys: this.indexedKeys,
      purges: this.purges.size,
    };
  }

  /** lru-cache's dispose: the entry left (evicted, expired, deleted or replaced); an emptied id goes too. */
  private unindex(key: string, ids: string[]): void {
    for (const id of ids) {
      const keys = this.byCredentialId.get(id);
      if (!keys?.delete(key)) continue;
      this.indexedKeys -= 1;
      if (keys.size === 0) this.byCredentialId.delete(id);
    }
  }

  /** Bounded memory: purges older than `purgeMemoryMs`, or beyond `maxEntries` of them, are dropped. */
  private forget(now: number): void {
    for (const [id, purge] of this.purges) {
      if (purge.at > now - this.purgeMemoryMs && this.purges.size <= this.maxEntries) return;
      this.purges.delete(id);
      this.forgottenThrough = purge.number;
    }
  }
}

/** The purge id of every cached answer of one user: their factors changed, or their account did. */
export const userPurgeId = userCredentialsPurgeId;

/**
 * The ids whose purge ends a cached answer: the credential's own, its user's (a security change
 * alters the principal's MFA facts), and `alsoRevokedBy`. A refusal has none.
 */
function idsOf(value: CachedResolution, alsoRevokedBy: string[]): string[] {
  if (!value.ok) return [];
  const { principal } = value;
  // A directory's token has no user: its own id (and the directory's, which ends all its tokens) purge it.
  const owner = principal.kind === 'scim' ? `directory:${principal.directoryId}` : userPurgeId(principal.userId);
  return [...new Set([principal.credentialId, owner, ...alsoRevokedBy])];
}
