import {
  type AccessTokenFacts,
  AppError,
  type AuthenticatedPrincipal,
  type DirectoryPrincipal,
  EVENT_SUBJECTS,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  type ResolveCredentialReply,
  type ResolveCredentialRequest,
  RPC_SUBJECTS,
  type TokenScope,
  type VerifiedAccessToken,
} from '@gatehouse/contracts';
import { type Logger, requestRpc } from '@gatehouse/service-kit/edge';
import { type NatsConnection, StringCodec, type Subscription } from 'nats';
import type { Counter } from 'prom-client';
import type { AccessTokenVerifier } from './access-tokens.js';
import { type CachedResolution, CredentialCache, userPurgeId } from './cache.js';
import type { PresentedCredential } from './extract.js';

export interface ResolverOptions {
  nc: NatsConnection;
  subject: (name: string) => string;
  logger: Logger;
  maxCacheSeconds: number;
  negativeCacheSeconds: number;
  timeoutMs: number;
  cacheLookups: Counter<'result'>;
  /** Verifies OAuth access tokens; without it every Bearer token is refused. */
  accessTokens?: AccessTokenVerifier;
}

const FAILURES = {
  INVALID_OR_EXPIRED_TOKEN: 'Your session is invalid or has expired; sign in again',
  INVALID_API_KEY: 'The API key is invalid, expired or revoked',
  USER_NOT_ACTIVE: 'This account is deactivated',
} as const;

function withoutExpiry({ expiresAt: _expiresAt, ...facts }: VerifiedAccessToken): AccessTokenFacts {
  return facts;
}

/** What identity answered, and for how long the answer may be kept. */
type Answer = { resolution: CachedResolution; ttlSeconds: number };

/** The lookup counter's labels, made once rather than per request. */
const CACHE_HIT = { result: 'hit' } as const;
const CACHE_MISS = { result: 'miss' } as const;
/** A miss that joined a look-up already in flight. */
const CACHE_SHARED = { result: 'shared' } as const;

const TOKEN_FAILURE = 'The access token is invalid, expired or revoked';
const SCIM_TOKEN_FAILURE = 'The SCIM token is invalid, expired or revoked';

/**
 * Turns a presented credential into a principal: from the cache when it can, else by asking
 * identity over NATS. Revocation events (on every replica: a plain, non-queue subscription)
 * purge the cache at once.
 */
export class CredentialResolver {
  readonly cache: CredentialCache;
  private subscriptions: Subscription[] = [];
  /** The look-up in flight per cache key, with the purge mark it started at (see lookUpOnce). */
  private readonly inFlight = new Map<string, { mark: number; resolution: Promise<CachedResolution> }>();

  constructor(private readonly options: ResolverOptions) {
    // Purges are remembered for as long as an entry may live, and at least as long as a look-up may run.
    this.cache = new CredentialCache({ purgeMemoryMs: Math.max(options.maxCacheSeconds * 1000, options.timeoutMs) });
  }

  /**
   * Every replica hears these (plain subscriptions): a revoked credential, a user whose factors
   * changed (every credential of theirs carries MFA facts), an organization whose policy or read-only
   * state changed (whose members this gateway cannot list, so everything goes; such changes are rare).
   */
  listenForRevocations(): void {
    this.subscriptions = [
      this.listen(EVENT_SUBJECTS.credentialRevoked, (data) => this.cache.purge(data.id)),
      this.listen(EVENT_SUBJECTS.userSecurityChanged, (data) => this.cache.purge(userPurgeId(data.userId))),
      this.listen(EVENT_SUBJECTS.organizationSecurityUpdated, () => this.cache.purgeAll()),
      // A principal says which organizations are read-only for an unpaid subscription (identity's readOnlyIn):
      // a subscription that lapses or is paid again takes effect on the next request, not the cache's expiry.
      // Identity announces it once its copy is stored (billing's own event may reach the gateway first, and a
      // re-resolution then would cache the old answer), and only for a change of the deadline (not every plan).
      this.listen(EVENT_SUBJECTS.organizationReadOnlyChanged, () => this.cache.purgeAll()),
    ];
  }

  /** Look-ups in flight (each settled one leaves at once): for tests and gauges. */
  get inFlightLookUps(): number {
    return this.inFlight.size;
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  private listen<S extends EventSubject>(subject: S, purge: (data: EventDataBySubject[S]) => void): Subscription {
    const codec = StringCodec();
    return this.options.nc.subscribe(this.options.subject(subject), {
      callback: (error, message) => {
        if (error) return;
        try {
          const event = JSON.parse(codec.decode(message.data)) as EventEnvelope<S>;
          purge(event.data);
        } catch (failure) {
          this.options.logger.warn({ err: failure, subject }, 'unreadable purge event');
        }
      },
    });
  }

  /** `digest` is hashSecret(credential.secret), which the caller has already computed. */
  async resolve(credential: PresentedCredential, digest: string): Promise<AuthenticatedPrincipal | DirectoryPrincipal> {
    if (credential.kind === 'oauth') return this.resolveAccessToken(credential.secret);
    const resolving = this.cached(`${credential.kind}:${digest}`, [], 0, () =>
      this.ask({ kind: credential.kind, secret: credential.secret }),
    );
    if (credential.kind !== 'scim') return resolving;
    // Identity's reasons speak of sessions and keys; a directory is told about its token.
    return resolving.catch((error: unknown) => {
      if (error instanceof AppError && error.status === 401) {
        throw new AppError('INVALID_OR_EXPIRED_TOKEN', SCIM_TOKEN_FAILURE);
      }
      throw error;
    });
  }

  /**
   * Whose credential this is, if the cache already knows (never a network call): a refusal before
   * resolution (the per-credential rate limit) can still name the account. OAuth tokens are keyed by
   * their id, which only verifying the token tells, so they are never known here.
   */
  known(credential: PresentedCredential, digest: string): AuthenticatedPrincipal | DirectoryPrincipal | undefined {
    if (credential.kind === 'oauth') return undefined;
    const resolution = this.cache.get(`${credential.kind}:${digest}`);
    return resolution?.ok ? resolution.principal : undefined;
  }

  /**
   * The signature, issuer, audience and expiry are checked here without a round trip; whether
   * the grant, app and user behind the token still stand comes from identity, cached per token
   * and purged when the token, its grant or its app is revoked.
   */
  private async resolveAccessToken(token: string): Promise<AuthenticatedPrincipal | DirectoryPrincipal> {
    if (!this.options.accessTokens) throw new AppError('INVALID_OR_EXPIRED_TOKEN', TOKEN_FAILURE);
    const facts = await this.options.accessTokens.verify(token);
    const secondsLeft = facts.expiresAt - Math.floor(Date.now() / 1000);
    return this.cached(`oauth:${facts.tokenId}`, [facts.tokenId, facts.clientId], secondsLeft, () =>
      this.ask({ kind: 'oauth', ...withoutExpiry(facts) }),
    ).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'INVALID_OR_EXPIRED_TOKEN') {
        throw new AppError('INVALID_OR_EXPIRED_TOKEN', TOKEN_FAILURE);
      }
      throw error;
    });
  }

  private async cached(
    key: string,
    alsoRevokedBy: string[],
    maxSeconds: number,
    ask: () => Promise<Answer>,
  ): Promise<AuthenticatedPrincipal | DirectoryPrincipal> {
    const cached = this.cache.get(key);
    if (cached) this.options.cacheLookups.inc(CACHE_HIT);
    const resolution = cached ?? (await this.lookUpOnce(key, alsoRevokedBy, maxSeconds, ask));
    if (!resolution.ok) {
      throw new AppError(resolution.reason, FAILURES[resolution.reason]);
    }
    return resolution.principal;
  }

  /**
   * One look-up per credential at a time: requests that miss while one is in flight share its answer (a burst
   * with a new key asks identity once, not once per request). Only a look-up started since the last purge is
   * shared: one started before it may answer what the purge revoked, so a request after the purge asks anew.
   */
  private lookUpOnce(
    key: string,
    alsoRevokedBy: string[],
    maxSeconds: number,
    ask: () => Promise<Answer>,
  ): Promise<CachedResolution> {
    const mark = this.cache.purgeMark();
    const inFlight = this.inFlight.get(key);
    const shared = inFlight?.mark === mark;
    this.options.cacheLookups.inc(shared ? CACHE_SHARED : CACHE_MISS);
    if (shared) return inFlight.resolution;
    const lookUp = { mark, resolution: this.lookUp(key, alsoRevokedBy, maxSeconds, mark, ask) };
    this.inFlight.set(key, lookUp);
    const settled = () => {
      if (this.inFlight.get(key) === lookUp) this.inFlight.delete(key);
    };
    lookUp.resolution.then(settled, settled);
    return lookUp.resolution;
  }

  private async lookUp(
    key: string,
    alsoRevokedBy: string[],
    maxSeconds: number,
    mark: number,
    ask: () => Promise<Answer>,
  ): Promise<CachedResolution> {
    const { resolution, ttlSeconds } = await ask();
    let ttl = resolution.ok ? Math.min(this.options.maxCacheSeconds, ttlSeconds) : this.options.negativeCacheSeconds;
    if (maxSeconds > 0) ttl = Math.min(ttl, maxSeconds);
    // Identity may have read the credential before a revocation whose purge landed meanwhile (and
    // found nothing cached): this answer serves the requests that asked before it, but is not kept.
    if (!this.cache.purgedSince(mark, resolution, alsoRevokedBy)) this.cache.set(key, resolution, ttl, alsoRevokedBy);
    return resolution;
  }

  private async ask(request: ResolveCredentialRequest): Promise<Answer> {
    const reply = await requestRpc<ResolveCredentialRequest, ResolveCredentialReply>(
      this.options.nc,
      this.options.subject(RPC_SUBJECTS.resolveCredential),
      request,
      this.options.timeoutMs,
    );
    if (!reply.ok) return { resolution: reply, ttlSeconds: 0 };
    if (reply.principal.kind === 'scim') {
      const { ttlSeconds, ...directory } = reply.principal;
      return { resolution: { ok: true, principal: directory }, ttlSeconds };
    }
    const { ttlSeconds, ...principal } = reply.principal;
    return {
      resolution: { ok: true, principal: { ...principal, scopes: principal.scopes as TokenScope[] } },
      ttlSeconds,
    };
  }
}
