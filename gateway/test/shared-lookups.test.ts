import { AppError } from '@gatehouse/contracts';
import { counter, createMetrics } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialResolver } from '../src/credentials/resolver.js';
import { type HeldIdentity, heldIdentityOnNats, testResolver } from './held-identity.js';

/** Requests that miss the cache together: one look-up at identity, unless a purge came between them. */
let nc: NatsConnection;
let identity: HeldIdentity;
let subject: (name: string) => string;

beforeAll(async () => {
  ({ nc, identity, subject } = await heldIdentityOnNats());
});
afterAll(async () => {
  await nc?.close();
});

/** The last resolver's lookup counter (gateway_credential_cache_lookups_total). */
let lookups: ReturnType<typeof counter<'result'>>;

/** How many lookups the last resolver counted under each result. */
async function lookupCounts(): Promise<Record<string, number>> {
  const { values } = await lookups.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(labels.result), value]));
}

function newResolver(timeoutMs = 10_000) {
  lookups = counter(createMetrics('test', false), 'lookups', 'lookups', ['result']);
  return testResolver(nc, subject, { timeoutMs, cacheLookups: lookups });
}

let keys = 0;
/** A key no test has presented: nothing of it is cached or in flight. */
function freshKey() {
  keys += 1;
  return { credential: { kind: 'api_key' as const, secret: `ba_shared_${keys}` }, digest: `digest-${keys}` };
}

/** Starts `count` resolves of one key; waits until identity holds `expectedAsks` new look-ups. */
async function resolveTogether(
  resolver: CredentialResolver,
  key: ReturnType<typeof freshKey>,
  count: number,
  expectedAsks: number,
) {
  const before = identity.asked;
  const resolving = Array.from({ length: count }, () =>
    resolver.resolve(key.credential, key.digest).then(
      (principal) => ({ ok: true as const, principal }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  );
  await eventually(async () => expect(identity.asked).toBe(before + expectedAsks));
  return { resolving: Promise.all(resolving), asked: () => identity.asked - before };
}

describe('CredentialResolver: concurrent misses share one look-up', () => {
  it('asks identity once for a burst of requests with one new key, and every request gets the answer', async () => {
    const resolver = newResolver();
    const { resolving, asked } = await resolveTogether(resolver, freshKey(), 20, 1);
    identity.answerOk('ak_burst');
    const results = await resolving;
    expect(asked()).toBe(1);
    expect(results.map((result) => result.ok && result.principal.credentialId)).toEqual(Array(20).fill('ak_burst'));
    expect(resolver.inFlightLookUps).toBe(0);
    expect(await lookupCounts()).toEqual({ miss: 1, shared: 19 });
  });

  it('shares a refusal the same way', async () => {
    const resolver = newResolver();
    const { resolving, asked } = await resolveTogether(resolver, freshKey(), 5, 1);
    identity.answerRefused();
    const results = await resolving;
    expect(asked()).toBe(1);
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error instanceof AppError && result.error.code).toBe('INVALID_API_KEY');
    }
  });

  it('asks separately for different keys', async () => {
    const resolver = newResolver();
    const first = await resolveTogether(resolver, freshKey(), 3, 1);
    const second = await resolveTogether(resolver, freshKey(), 3, 1);
    identity.answerOk('ak_first');
    identity.answerOk('ak_second');
    expect((await first.resolving).every((result) => result.ok && result.principal.credentialId === 'ak_first')).toBe(
      true,
    );
    expect((await second.resolving).every((result) => result.ok && result.principal.credentialId === 'ak_second')).toBe(
      true,
    );
  });

  it('does not let a request after a purge share a look-up started before it: that one may answer the revoked key', async () => {
    const resolver = newResolver();
    const key = freshKey();
    const before = await resolveTogether(resolver, key, 3, 1);
    // The key is revoked while identity's first look-up (which read it before the revocation) is on its way.
    resolver.cache.purge('ak_revoked');
    const after = await resolveTogether(resolver, key, 3, 1);
    identity.answerOk('ak_revoked');
    expect((await before.resolving).every((result) => result.ok)).toBe(true);
    // The pre-revocation answer served the requests that asked before the purge, and was not kept.
    expect(resolver.cache.get(`api_key:${key.digest}`)).toBeUndefined();

    identity.answerRefused();
    expect((await after.resolving).every((result) => !result.ok)).toBe(true);
    expect(resolver.inFlightLookUps).toBe(0);
  });

  it('forgets a look-up that failed: every request sharing it fails, and the next request asks again', async () => {
    const resolver = newResolver(300);
    const key = freshKey();
    const { resolving } = await resolveTogether(resolver, key, 4, 1);
    const results = await resolving;
    identity.held.shift();
    for (const result of results) {
      expect(!result.ok && result.error instanceof AppError && result.error.code).toBe('SERVICE_UNAVAILABLE');
    }

    expect(resolver.inFlightLookUps).toBe(0);
    const again = await resolveTogether(resolver, key, 1, 1);
    identity.answerOk('ak_after_outage');
    expect((await again.resolving)[0]).toMatchObject({ ok: true, principal: { credentialId: 'ak_after_outage' } });
  });
});
