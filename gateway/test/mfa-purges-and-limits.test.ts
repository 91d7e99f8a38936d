import { type AppError, EVENT_SUBJECTS, type EventEnvelope, type EventSubject } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { type NatsConnection, StringCodec } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CachedResolution, CredentialCache } from '../src/credentials/cache.js';
import type { CredentialResolver } from '../src/credentials/resolver.js';
import { answerHeaders } from '../src/credentials/revoked-on-answer.js';
import { accountLimitKeys, challengeAccountTag, endpointLimitKeys } from '../src/rate-limit/limiter.js';
import { type HeldIdentity, heldIdentityOnNats, testResolver } from './held-identity.js';

const TAG = 'AbCdEfGhIjKlMnOp';
const CHALLENGE = `${TAG}.${'x'.repeat(43)}`;

function refusal(run: () => unknown): { code?: string; meta?: Record<string, unknown> } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return { code: (error as AppError).code, meta: (error as AppError).meta };
  }
}

function answerFor(userId: string, credentialId: string): CachedResolution {
  return {
    ok: true,
    principal: { kind: 'session', userId, credentialId, scopes: ['user:read'], organizationId: null, role: 'user' },
  };
}

describe('endpointLimitKeys for second factors, magic links and passkeys', () => {
  it('keys mfaVerify by IP and by the account tag leading the challengeId, before resolution', () => {
    expect(endpointLimitKeys('mfaVerify', '10.0.0.1', { challengeId: CHALLENGE, code: '123456' }, undefined)).toEqual({
      mfaIp: '10.0.0.1',
      mfaAccount: `tag:${TAG}`,
    });
    // Two fresh challenges of one account share the budget; another account's does not.
    const other = `QqQqQqQqQqQqQqQq.${'y'.repeat(43)}`;
    expect(
      endpointLimitKeys('mfaVerify', 'ip', { challengeId: `${TAG}.${'z'.repeat(43)}` }, undefined).mfaAccount,
    ).toBe(`tag:${TAG}`);
    expect(endpointLimitKeys('mfaVerify', 'ip', { challengeId: other }, undefined).mfaAccount).toBe(
      'tag:QqQqQqQqQqQqQqQq',
    );
  });

  it('leaves a body without a challenge to the per-IP budget before resolution, and to the account after it', () => {
    for (const body of [{}, undefined, null, 'text', { code: '123456' }]) {
      expect(endpointLimitKeys('mfaVerify', 'ip', body, undefined)).toEqual({ mfaIp: 'ip', mfaAccount: undefined });
      // confirmTotp and startStepUp carry no challenge: the signed-in account pays.
      expect(accountLimitKeys('mfaVerify', 'ip', body, 'us_1')).toEqual({ mfaAccount: 'user:us_1' });
    }
    // With a challenge the tag was already spent before resolution: nothing is spent twice.
    expect(accountLimitKeys('mfaVerify', 'ip', { challengeId: CHALLENGE }, 'us_1')).toEqual({ mfaAccount: undefined });
  });

  it('refuses a challengeId of any shape but a string, naming the field', () => {
    for (const challengeId of [[CHALLENGE], 42, { $ne: '' }, null, true]) {
      expect(refusal(() => endpointLimitKeys('mfaVerify', 'ip', { challengeId }, undefined))).toEqual({
        code: 'VALIDATION_ERROR',
        meta: { errors: [{ field: 'challengeId', error: 'must be a string', location: 'body' }] },
      });
      expect(refusal(() => accountLimitKeys('mfaVerify', 'ip', { challengeId }, 'us_1'))?.code).toBe(
        'VALIDATION_ERROR',
      );
    }
  });

  it('takes the part before the first dot, bounded, and no key for an empty tag', () => {
    expect(challengeAccountTag('abc')).toBe('tag:abc');
    expect(challengeAccountTag('a.b.c')).toBe('tag:a');
    expect(challengeAccountTag(`${'t'.repeat(500)}.secret`)).toBe(`tag:${'t'.repeat(32)}`);
    expect(challengeAccountTag('.secret')).toBeUndefined();
    expect(challengeAccountTag('')).toBeUndefined();
    expect(challengeAccountTag(undefined)).toBeUndefined();
  });

  it('keys magicLink per IP and per email with a prefix of its own (not the password-reset budget)', () => {
    expect(endpointLimitKeys('magicLink', '10.0.0.1', { email: ' Ada@Example.COM ' }, undefined)).toEqual({
      emailIp: 'magicLink:10.0.0.1',
      emailAddress: 'magicLink:ada@example.com',
    });
    expect(endpointLimitKeys('passwordReset', '10.0.0.1', { email: 'ada@example.com' }, undefined)).toEqual({
      emailIp: 'passwordReset:10.0.0.1',
      emailAddress: 'passwordReset:ada@example.com',
    });
    for (const email of [['a@b.c'], 42, null]) {
      expect(refusal(() => endpointLimitKeys('magicLink', 'ip', { email }, undefined))?.code).toBe('VALIDATION_ERROR');
    }
    expect(endpointLimitKeys('magicLink', 'ip', {}, undefined)).toEqual({
      emailIp: 'magicLink:ip',
      emailAddress: undefined,
    });
  });

  it('keys passkeyStart per IP only, and spends nothing per account', () => {
    expect(endpointLimitKeys('passkeyStart', '10.0.0.9', { email: 'ignored@example.com' }, undefined)).toEqual({
      passkeyIp: '10.0.0.9',
    });
    expect(accountLimitKeys('passkeyStart', 'ip', {}, 'us_1')).toEqual({});
    expect(accountLimitKeys('magicLink', 'ip', { email: 'a@b.c' }, 'us_1')).toEqual({});
  });

  it('keeps the existing per-account limits after resolution', () => {
    expect(accountLimitKeys('apiKeyCreate', 'ip', undefined, 'us_1')).toEqual({ apiKeyCreate: 'us_1' });
    expect(accountLimitKeys('passwordCheck', 'ip', undefined, 'us_1')).toEqual({ signInEmail: 'user:us_1' });
    expect(accountLimitKeys('signIn', 'ip', { email: 'a@b.c' }, 'us_1')).toEqual({});
    expect(accountLimitKeys(undefined, 'ip', undefined, 'us_1')).toEqual({});
  });
});

describe('CredentialCache: purging a user, and everything', () => {
  it('drops every cached credential of a user by user:<id>, and only theirs', () => {
    const cache = new CredentialCache();
    cache.set('session:a', answerFor('us_1', 'se_1'), 30);
    cache.set('api_key:b', answerFor('us_1', 'ak_1'), 30);
    cache.set('oauth:c', answerFor('us_1', 'gr_1'), 30, ['at_1', 'oa_1']);
    cache.set('session:d', answerFor('us_2', 'se_2'), 30);
    cache.purge('user:us_1');
    expect(cache.get('session:a')).toBeUndefined();
    expect(cache.get('api_key:b')).toBeUndefined();
    expect(cache.get('oauth:c')).toBeUndefined();
    expect(cache.get('session:d')).toBeDefined();
    expect(cache.size).toBe(1);
  });

  it('does not keep a look-up in flight across a purge of its user', () => {
    const cache = new CredentialCache();
    const mark = cache.purgeMark();
    cache.purge('user:us_2');
    expect(cache.purgedSince(mark, answerFor('us_1', 'se_1'))).toBe(false);
    cache.purge('user:us_1');
    expect(cache.purgedSince(mark, answerFor('us_1', 'se_1'))).toBe(true);
    expect(cache.purgedSince(cache.purgeMark(), answerFor('us_1', 'se_1'))).toBe(false);
  });

  it('purgeAll drops every entry and every index, and a new answer is cached again afterwards', () => {
    const cache = new CredentialCache();
    cache.set('session:a', answerFor('us_1', 'se_1'), 30);
    cache.set('api_key:b', answerFor('us_2', 'ak_2'), 30, ['extra']);
    cache.set('session:refused', { ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' }, 3);
    cache.purgeAll();
    expect(cache.size).toBe(0);
    expect(cache.get('session:a')).toBeUndefined();
    expect(cache.get('session:refused')).toBeUndefined();
    cache.set('session:a', answerFor('us_1', 'se_1'), 30);
    expect(cache.get('session:a')).toBeDefined();
    // Old index entries are gone: a later purge of that id drops only what was set since.
    cache.purge('extra');
    expect(cache.get('session:a')).toBeDefined();
  });

  it('does not keep any look-up in flight across a purgeAll, whatever its ids, however late it lands', () => {
    const cache = new CredentialCache({ purgeMemoryMs: 1000 });
    const before = cache.purgeMark();
    cache.purgeAll();
    const after = cache.purgeMark();
    for (const answer of [answerFor('us_1', 'se_1'), answerFor('us_9', 'ak_9')]) {
      expect(cache.purgedSince(before, answer, ['at_1'])).toBe(true);
      // Remembered without a clock: still true long after the per-id purges would be forgotten.
      expect(cache.purgedSince(before, answer, [], Date.now() + 60_000)).toBe(true);
      expect(cache.purgedSince(after, answer)).toBe(false);
    }
    // A refusal reflects no MFA fact: it is kept as before.
    expect(cache.purgedSince(before, { ok: false, reason: 'INVALID_API_KEY' })).toBe(false);
  });
});

describe('answer headers with user and everything purges', () => {
  it('purges user:<id> entries and, with *, every entry, passing neither header to the client', () => {
    const cache = new CredentialCache();
    cache.set('session:a', answerFor('us_1', 'se_1'), 30);
    cache.set('session:b', answerFor('us_2', 'se_2'), 30);
    expect(answerHeaders({ 'x-gatehouse-revoked': 'user:us_1' }, cache)).toEqual({});
    expect(cache.get('session:a')).toBeUndefined();
    expect(cache.get('session:b')).toBeDefined();
    expect(answerHeaders({ 'content-type': 'application/json', 'x-gatehouse-revoked': ' * ' }, cache)).toEqual({
      'content-type': 'application/json',
    });
    expect(cache.size).toBe(0);
  });
});

const codec = StringCodec();
const KEY = { kind: 'api_key' as const, secret: 'mfa_secret' };
const DIGEST = 'digest-of-mfa_secret';

describe('CredentialResolver: security events and purges in flight', () => {
  let nc: NatsConnection;
  let identity: HeldIdentity;
  let resolver: CredentialResolver;
  let subject: (name: string) => string;

  beforeAll(async () => {
    ({ nc, identity, subject } = await heldIdentityOnNats());
    resolver = testResolver(nc, subject);
    resolver.listenForRevocations();
    await nc.flush();
  });
  afterAll(async () => {
    resolver?.stop();
    await nc?.close();
  });
  beforeEach(() => {
    resolver.cache.purgeAll();
  });

  async function startResolve(): Promise<{ resolving: ReturnType<CredentialResolver['resolve']> }> {
    const before = identity.asked;
    const resolving = resolver.resolve(KEY, DIGEST);
    await eventually(async () => expect(identity.asked).toBe(before + 1));
    return { resolving };
  }

  /** Resolves once (identity answers) so the answer is cached; the next resolve is a hit. */
  async function cachedFor(userId: string, credentialId: string): Promise<void> {
    const { resolving } = await startResolve();
    identity.answerOk(credentialId, { userId, mfaEnrolled: false, mfaBlockedIn: [] });
    await resolving;
    const asked = identity.asked;
    await resolver.resolve(KEY, DIGEST);
    expect(identity.asked).toBe(asked);
  }

  function publish<S extends EventSubject>(type: S, data: EventEnvelope<S>['data']): void {
    const event: EventEnvelope<S> = {
      id: `ev_${Math.random()}`,
      type,
      occurredAt: new Date().toISOString(),
      version: 1,
      data,
    };
    nc.publish(subject(type), codec.encode(JSON.stringify(event)));
  }

  it('a purgeAll while a look-up is in flight: that answer serves its request but is not kept', async () => {
    const { resolving } = await startResolve();
    resolver.cache.purgeAll();
    identity.answerOk('ak_flight', { userId: 'us_1', mfaEnrolled: false, mfaBlockedIn: [] });
    expect((await resolving).credentialId).toBe('ak_flight');
    const next = await startResolve();
    identity.answerOk('ak_flight', { userId: 'us_1', mfaEnrolled: false, mfaBlockedIn: [] });
    await next.resolving;
  });

  it('a purge of the user while a look-up is in flight is honoured the same way', async () => {
    const { resolving } = await startResolve();
    resolver.cache.purge('user:us_1');
    identity.answerOk('ak_user', { userId: 'us_1', mfaEnrolled: false, mfaBlockedIn: [] });
    await resolving;
    const next = await startResolve();
    identity.answerOk('ak_user', { userId: 'us_1', mfaEnrolled: false, mfaBlockedIn: [] });
    await next.resolving;
  });

  it('user.security_changed purges that user’s cached credentials, and another user’s change does not', async () => {
    await cachedFor('us_1', 'ak_1');
    const base = { mfaEnabled: true, factors: ['totp'], change: 'totp_enabled' };
    publish(EVENT_SUBJECTS.userSecurityChanged, { userId: 'us_other', ...base });
    // One connection delivers in order: after the round trip, the event has been handled.
    await nc.flush();
    expect(resolver.cache.size).toBe(1);
    publish(EVENT_SUBJECTS.userSecurityChanged, { userId: 'us_1', ...base });
    await eventually(async () => expect(resolver.cache.size).toBe(0));
  });

  it('organization.security_updated purges every cached credential', async () => {
    await cachedFor('us_2', 'ak_2');
    expect(resolver.cache.size).toBe(1);
    publish(EVENT_SUBJECTS.organizationSecurityUpdated, { organizationId: 'org_1', mfaRequired: true });
    await eventually(async () => expect(resolver.cache.size).toBe(0));
  });

  it('identity.organization.read_only_changed purges every cached credential; billing’s own event does not', async () => {
    await cachedFor('us_4', 'ak_4');
    expect(resolver.cache.size).toBe(1);
    // Billing's event may arrive before identity stored it: purging then would re-cache the old readOnlyIn.
    publish(EVENT_SUBJECTS.billingEntitlementsChanged, {
      organizationId: 'org_1',
      revision: 2,
      tierId: 'team',
      status: 'past_due',
      entitlements: { maxProjects: 20, maxMembers: 10, ssoAllowed: false, auditRetentionDays: 90 },
      readOnlyAfter: new Date().toISOString(),
      upgradeUrl: 'http://localhost:8080/orgs/org_1/billing',
    });
    // One connection delivers in order: after the round trip, the event has been handled.
    await nc.flush();
    expect(resolver.cache.size).toBe(1);
    publish(EVENT_SUBJECTS.organizationReadOnlyChanged, { organizationId: 'org_1', readOnlyAfter: null });
    await eventually(async () => expect(resolver.cache.size).toBe(0));
  });

  it('survives an unreadable event and keeps listening', async () => {
    await cachedFor('us_3', 'ak_3');
    nc.publish(subject(EVENT_SUBJECTS.organizationSecurityUpdated), codec.encode('not json'));
    nc.publish(subject(EVENT_SUBJECTS.userSecurityChanged), codec.encode('{"data":null}'));
    await nc.flush();
    expect(resolver.cache.size).toBe(1);
    publish(EVENT_SUBJECTS.userSecurityChanged, {
      userId: 'us_3',
      mfaEnabled: false,
      factors: [],
      change: 'factors_cleared',
    });
    await eventually(async () => expect(resolver.cache.size).toBe(0));
  });
});
