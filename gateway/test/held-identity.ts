import type { ResolveCredentialReply, ResolvedPersonPrincipal } from '@gatehouse/contracts';
import { type Msg, type NatsConnection, StringCodec } from 'nats';

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
