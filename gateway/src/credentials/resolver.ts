import {
  AppError,
  type AuthenticatedPrincipal,
  EVENT_SUBJECTS,
  type EventEnvelope,
  type ResolveCredentialReply,
  type ResolveCredentialRequest,
  RPC_SUBJECTS,
  type TokenScope,
} from '@gatehouse/contracts';
import { type Logger, requestRpc } from '@gatehouse/service-kit';
import { type NatsConnection, StringCodec, type Subscription } from 'nats';
import type { Counter } from 'prom-client';
import { type CachedResolution, CredentialCache } from './cache.js';
import type { PresentedCredential } from './extract.js';

export interface ResolverOptions {
  nc: NatsConnection;
  subject: (name: string) => string;
  logger: Logger;
  maxCacheSeconds: number;
  negativeCacheSeconds: number;
  timeoutMs: number;
  cacheLookups: Counter<'result'>;
}

const FAILURES = {
  INVALID_OR_EXPIRED_TOKEN: 'Your session is invalid or has expired; sign in again',
  INVALID_API_KEY: 'The API key is invalid, expired or revoked',
  USER_NOT_ACTIVE: 'This account is deactivated',
} as const;

/**
 * Turns a presented credential into a principal: from the cache when it can, else by asking
 * identity over NATS. Revocation events (on every replica: a plain, non-queue subscription)
 * purge the cache at once.
 */
export class CredentialResolver {
  readonly cache = new CredentialCache();
  private subscription: Subscription | null = null;

  constructor(private readonly options: ResolverOptions) {}

  listenForRevocations(): void {
    const codec = StringCodec();
    this.subscription = this.options.nc.subscribe(this.options.subject(EVENT_SUBJECTS.credentialRevoked), {
      callback: (error, message) => {
        if (error) return;
        try {
          const event = JSON.parse(codec.decode(message.data)) as EventEnvelope<
            typeof EVENT_SUBJECTS.credentialRevoked
          >;
          this.cache.purge(event.data.id);
        } catch (failure) {
          this.options.logger.warn({ err: failure }, 'unreadable revocation event');
        }
      },
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  /** `digest` is hashSecret(credential.secret), which the caller has already computed. */
  async resolve(credential: PresentedCredential, digest: string): Promise<AuthenticatedPrincipal> {
    if (credential.kind === 'oauth') {
      // OAuth 2.1 access tokens arrive with the authorization server (issue: OAuth); until then none verifies.
      throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'The bearer token is invalid or expired');
    }
    const key = `${credential.kind}:${digest}`;
    let resolution = this.cache.get(key);
    this.options.cacheLookups.inc({ result: resolution ? 'hit' : 'miss' });
    if (!resolution) {
      const answer = await this.ask(credential);
      resolution = answer.resolution;
      const ttl = resolution.ok
        ? Math.min(this.options.maxCacheSeconds, answer.ttlSeconds)
        : this.options.negativeCacheSeconds;
      this.cache.set(key, resolution, ttl);
    }
    if (!resolution.ok) {
      throw new AppError(resolution.reason, FAILURES[resolution.reason]);
    }
    return resolution.principal;
  }

  private async ask(credential: {
    kind: 'session' | 'api_key';
    secret: string;
  }): Promise<{ resolution: CachedResolution; ttlSeconds: number }> {
    const reply = await requestRpc<ResolveCredentialRequest, ResolveCredentialReply>(
      this.options.nc,
      this.options.subject(RPC_SUBJECTS.resolveCredential),
      { kind: credential.kind, secret: credential.secret },
      this.options.timeoutMs,
    );
    if (!reply.ok) return { resolution: reply, ttlSeconds: 0 };
    const { ttlSeconds, ...principal } = reply.principal;
    return {
      resolution: { ok: true, principal: { ...principal, scopes: principal.scopes as TokenScope[] } },
      ttlSeconds,
    };
  }
}
