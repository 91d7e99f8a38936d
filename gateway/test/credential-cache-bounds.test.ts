import { describe, expect, it } from 'vitest';
import { type CachedResolution, CredentialCache } from '../src/credentials/cache.js';

const MAX = 1000;

function answerFor(userId: string, credentialId: string): CachedResolution {
  return {
    ok: true,
    principal: { kind: 'session', userId, credentialId, scopes: ['user:read'], organizationId: null, role: 'user' },
  };
}

/** `count` distinct keys, each its own credential of its own user (two index ids each: the worst case for a session). */
function fill(cache: CredentialCache, count: number, from = 0): void {
  for (let n = from; n < from + count; n += 1) cache.set(`session:${n}`, answerFor(`us_${n}`, `se_${n}`), 30);
}

describe('CredentialCache under many distinct keys (memory stays bounded)', () => {
  it('keeps entries at the max and the index at exactly the ids of the live entries after 3× the max', () => {
    const cache = new CredentialCache({ maxEntries: MAX });
    fill(cache, 3 * MAX);
    // Every entry carries two ids (its credential, its user): the index holds those of the live entries, no more.
    expect(cache.sizes()).toEqual({ entries: MAX, indexedIds: 2 * MAX, indexedKeys: 2 * MAX, purges: 0 });
    // The least recently used left first.
    expect(cache.get('session:0')).toBeUndefined();
    expect(cache.get(`session:${2 * MAX - 1}`)).toBeUndefined();
    expect(cache.get(`session:${2 * MAX}`)).toBeDefined();
    expect(cache.get(`session:${3 * MAX - 1}`)).toBeDefined();
  });

  it('stays bounded over a million distinct keys, refusals and OAuth answers included', () => {
    const cache = new CredentialCache({ maxEntries: MAX });
    for (let n = 0; n < 1_000_000; n += 1) {
      if (n % 3 === 0) cache.set(`session:${n}`, answerFor(`us_${n}`, `se_${n}`), 30);
      else if (n % 3 === 1) cache.set(`oauth:at_${n}`, answerFor(`us_${n}`, `gr_${n}`), 30, [`at_${n}`, 'oa_app']);
      else cache.set(`api_key:${n}`, { ok: false, reason: 'INVALID_API_KEY' }, 3);
    }
    // The last MAX keys: 334 sessions (credential, user), 333 OAuth answers (grant, user, token; the app's id
    // shared by all) and 333 refusals (no id).
    expect(cache.sizes()).toEqual({ entries: MAX, indexedIds: 334 * 2 + 333 * 3 + 1, indexedKeys: 2 * MAX, purges: 0 });
    cache.purge('oa_app');
    expect(cache.sizes()).toEqual({ entries: 667, indexedIds: 334 * 2, indexedKeys: 334 * 2, purges: 1 });
  });

  it('unindexes an entry replaced under the same key, and keeps the new one purgeable', () => {
    const cache = new CredentialCache({ maxEntries: MAX });
    cache.set('session:a', answerFor('us_1', 'se_old'), 30);
    cache.set('session:a', answerFor('us_2', 'se_new'), 30);
    expect(cache.sizes()).toMatchObject({ entries: 1, indexedIds: 2, indexedKeys: 2 });
    cache.purge('se_old');
    expect(cache.get('session:a')).toBeDefined();
    cache.purge('user:us_2');
    expect(cache.sizes()).toMatchObject({ entries: 0, indexedIds: 0, indexedKeys: 0 });
  });

  it('shrinks the index when an entry expires (on the caller clock and on lru-cache own)', async () => {
    const cache = new CredentialCache({ maxEntries: MAX });
    cache.set('session:a', answerFor('us_1', 'se_1'), 30, [], 0);
    expect(cache.get('session:a', 30_001)).toBeUndefined();
    expect(cache.sizes()).toMatchObject({ entries: 0, indexedIds: 0, indexedKeys: 0 });
    cache.set('session:b', answerFor('us_2', 'se_2'), 0.001);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cache.get('session:b')).toBeUndefined();
    expect(cache.sizes()).toMatchObject({ entries: 0, indexedIds: 0, indexedKeys: 0 });
  });
});

describe('CredentialCache purges after evictions', () => {
  it('purges by credential id and by user among survivors, and remembers a purge of an evicted one', () => {
    const cache = new CredentialCache({ maxEntries: MAX });
    // One user's keys spread over the whole run, so some are evicted and some survive.
    for (let n = 0; n < 3 * MAX; n += 1) {
      const user = n % 10 === 0 ? 'us_many' : `us_${n}`;
      cache.set(`session:${n}`, answerFor(user, `se_${n}`), 30);
    }
    expect(cache.size).toBe(MAX);
    const mark = cache.purgeMark();
    cache.purge('se_0'); // evicted long ago: nothing to drop, but a look-up in flight is not kept
    expect(cache.purgedSince(mark, answerFor('us_0', 'se_0'))).toBe(true);
    expect(cache.size).toBe(MAX);

    cache.purge(`se_${3 * MAX - 1}`);
    expect(cache.get(`session:${3 * MAX - 1}`)).toBeUndefined();
    expect(cache.size).toBe(MAX - 1);

    cache.purge('user:us_many');
    // us_many held every tenth key; of the last MAX keys, MAX / 10 were theirs.
    expect(cache.size).toBe(MAX - 1 - MAX / 10);
    expect(cache.get(`session:${3 * MAX - 10}`)).toBeUndefined();
    expect(cache.get(`session:${3 * MAX - 9}`)).toBeDefined();
    const sizes = cache.sizes();
    expect(sizes.indexedKeys).toBe(2 * sizes.entries);
    expect(sizes.indexedIds).toBe(2 * sizes.entries);
    expect(sizes.purges).toBe(3);

    cache.purgeAll();
    expect(cache.sizes()).toMatchObject({ entries: 0, indexedIds: 0, indexedKeys: 0 });
    fill(cache, 2 * MAX);
    expect(cache.sizes()).toMatchObject({ entries: MAX, indexedIds: 2 * MAX, indexedKeys: 2 * MAX });
  });

  it('remembers at most the max of purges', () => {
    const cache = new CredentialCache({ maxEntries: MAX });
    for (let n = 0; n < 3 * MAX; n += 1) cache.purge(`se_${n}`);
    expect(cache.sizes().purges).toBeLessThanOrEqual(MAX);
    // A look-up marked before the forgotten purges is not kept.
    expect(cache.purgedSince(0, answerFor('us_0', 'se_0'))).toBe(true);
  });
});
