import type { AuthenticatedPrincipal } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCache } from '../src/credentials/cache.js';
import type { CredentialResolver } from '../src/credentials/resolver.js';
import { type HeldIdentity, heldIdentityOnNats, testResolver } from './held-identity.js';

const KEY = { kind: 'api_key' as const, secret: 'ba_secret' };
const DIGEST = 'digest-of-ba_secret';

let nc: NatsConnection;
let identity: HeldIdentity;
let resolver: CredentialResolver;

beforeAll(async () => {
  let subject: (name: string) => string;
  ({ nc, identity, subject } = await heldIdentityOnNats());
  resolver = testResolver(nc, subject);
});
afterAll(async () => {
  await nc?.close();
});

/** Starts a resolve and waits until identity holds its look-up (wrapped: awaiting it must not await the resolve). */
async function startResolve(): Promise<{ resolving: ReturnType<CredentialResolver['resolve']> }> {
  const before = identity.asked;
  const resolving = resolver.resolve(KEY, DIGEST);
  await eventually(async () => expect(identity.asked).toBe(before + 1));
  return { resolving };
}

describe('CredentialResolver: a revocation while a look-up is in flight', () => {
  it('caches an answer when nothing was purged meanwhile (the control)', async () => {
    const { resolving } = await startResolve();
    identity.answerOk('ak_control');
    expect((await resolving).credentialId).toBe('ak_control');
    expect((await resolver.resolve(KEY, DIGEST)).credentialId).toBe('ak_control');
    expect(identity.asked).toBe(1);
    resolver.cache.purge('ak_control');
  });

  it('returns that one answer but does not cache it, so the next resolve asks again', async () => {
    const { resolving } = await startResolve();
    // The revocation commits and its purge arrives while identity's (pre-revocation) answer is on its way.
    resolver.cache.purge('ak_raced');
    identity.answerOk('ak_raced');
    expect((await resolving).credentialId).toBe('ak_raced');

    const next = await startResolve();
    identity.answerOk('ak_raced');
    await next.resolving;
  });
});

describe('CredentialCache: the memory of purges', () => {
  const grant = { ok: true as const, principal: { ...principalOf('gr_1'), kind: 'oauth' as const } };

  it('names an answer purged since the mark by any id that would index it', () => {
    const cache = new CredentialCache();
    const mark = cache.purgeMark();
    expect(cache.purgedSince(mark, grant, ['at_1', 'oa_1'])).toBe(false);
    cache.purge('oa_1');
    expect(cache.purgedSince(mark, grant, ['at_1', 'oa_1'])).toBe(true);
    expect(cache.purgedSince(mark, grant, ['at_1'])).toBe(false);
    // A purge before the look-up started does not count: identity's answer already reflects it.
    expect(cache.purgedSince(cache.purgeMark(), grant, ['at_1', 'oa_1'])).toBe(false);
    // A refusal is indexed by nothing, so it is always kept.
    expect(cache.purgedSince(mark, { ok: false, reason: 'INVALID_API_KEY' })).toBe(false);
  });

  it('forgets purges after its memory, and then cannot clear a look-up that old', () => {
    const cache = new CredentialCache({ purgeMemoryMs: 1000 });
    const old = cache.purgeMark();
    cache.purge('gr_1', 0);
    const recent = cache.purgeMark();
    cache.purge('gr_2', 600);
    expect(cache.purgedSince(old, grant, [], 999)).toBe(true);
    // At 1000 the first purge is forgotten: a look-up marked before it is refused, a later one is judged.
    expect(cache.purgedSince(old, grant, [], 1000)).toBe(true);
    expect(cache.purgedSince(recent, grant, [], 1000)).toBe(false);
    expect(cache.purgedSince(recent, principalAnswer('gr_2'), [], 1000)).toBe(true);
    expect(cache.purgedSince(recent, principalAnswer('gr_2'), [], 1600)).toBe(true);
  });

  it('keeps at most maxEntries purges', () => {
    const cache = new CredentialCache({ maxEntries: 2 });
    const mark = cache.purgeMark();
    for (const id of ['a', 'b', 'c']) cache.purge(id, 0);
    const afterwards = cache.purgeMark();
    expect(cache.purgedSince(afterwards, principalAnswer('x'), [], 0)).toBe(false);
    expect(cache.purgedSince(mark, principalAnswer('x'), [], 0)).toBe(true);
  });
});

function principalOf(credentialId: string): AuthenticatedPrincipal {
  return { kind: 'api_key', userId: 'us_1', credentialId, scopes: ['user:read'], organizationId: null, role: 'user' };
}

function principalAnswer(credentialId: string) {
  return { ok: true as const, principal: principalOf(credentialId) };
}
