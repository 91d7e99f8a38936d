import { type ResolveCredentialReply, type ResolvedPersonPrincipal, RPC_SUBJECTS } from '@gatehouse/contracts';
import { counter, createLogger, createMetrics } from '@gatehouse/service-kit';
import { testNamespace } from '@gatehouse/service-kit/testing';
import { connect, type Msg, type NatsConnection, StringCodec } from 'nats';
import { CredentialResolver, type ResolverOptions } from '../src/credentials/resolver.js';

const codec = StringCodec();

type ResolvedPrincipal = ResolvedPersonPrincipal;

/**
 * Identity's credential look-up over real NATS, scripted: every request is held until the test
 * answers it, so the test decides what happens while a look-up is in flight.
 */
export class HeldIdentity {
  readonly held: Msg[] = [];
  asked = 0;

  constructor(nc: NatsConnection, subject: string) {
    nc.subscribe(subject, {
      callback: (_error, message) => {
        this.asked += 1;
        this.held.push(message);
      },
    });
  }

  /** Answers the oldest held look-up: the key is valid (a user:read key of `us_1` unless `principal` says otherwise). */
  answerOk(credentialId: string, principal: Partial<ResolvedPrincipal> = {}): void {
    const reply: ResolveCredentialReply = {
      ok: true,
      principal: {
        kind: 'api_key',
        userId: 'us_1',
        credentialId,
        scopes: ['user:read'],
        organizationId: null,
        role: 'user',
        ttlSeconds: 30,
        ...principal,
      },
    };
    (this.held.shift() as Msg).respond(codec.encode(JSON.stringify(reply)));
  }

  /** Answers the oldest held look-up: the key is unknown (or revoked). */
  answerRefused(): void {
    const reply: ResolveCredentialReply = { ok: false, reason: 'INVALID_API_KEY' };
    (this.held.shift() as Msg).respond(codec.encode(JSON.stringify(reply)));
  }
}

/** A NATS connection on a namespace of its own, with identity's credential look-up held on it. */
export async function heldIdentityOnNats(): Promise<{
  nc: NatsConnection;
  identity: HeldIdentity;
  subject: (name: string) => string;
}> {
  const ns = testNamespace();
  const subject = (name: string) => `${ns.subjectPrefix}${name}`;
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  const identity = new HeldIdentity(nc, subject(RPC_SUBJECTS.resolveCredential));
  await nc.flush();
  return { nc, identity, subject };
}

/** A resolver over `nc` as the tests use it: 30 s answers, 3 s refusals, 10 s look-ups, silent, its own counter. */
export function testResolver(
  nc: NatsConnection,
  subject: (name: string) => string,
  options: Partial<ResolverOptions> = {},
): CredentialResolver {
  return new CredentialResolver({
    nc,
    subject,
    logger: createLogger('test', 'silent'),
    maxCacheSeconds: 30,
    negativeCacheSeconds: 3,
    timeoutMs: 10_000,
    cacheLookups: counter(createMetrics('test', false), 'lookups', 'lookups', ['result']),
    ...options,
  });
}
