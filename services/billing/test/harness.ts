import {
  type AuthenticatedPrincipal,
  EVENT_SUBJECTS,
  type EventContext,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  type MemberCountReply,
  type MemberCountRequest,
  type MembershipReply,
  newId,
  type Role,
  RPC_SUBJECTS,
  TOKEN_SCOPES,
} from '@gatehouse/contracts';
import {
  eventually,
  generatePrincipalKeys,
  type PrincipalKeys,
  publishTestEvent,
  startTestService,
  type TestNamespace,
  type TestService,
  testNamespace,
  testServiceConfig,
} from '@gatehouse/service-kit/testing';
import { StringCodec, type Subscription } from 'nats';
import { type FakeStripe, startFakeStripe } from '../../../test/support/stripe-server.js';
import { buildApp } from '../src/app.js';
import type { BillingConfig } from '../src/config.js';
import { billingService } from '../src/definition.js';

export interface BillingHarness {
  ns: TestNamespace;
  keys: PrincipalKeys;
  service: TestService<BillingConfig>;
  /** The Stripe counterpart the SDK talks to; null in local mode. */
  stripe: FakeStripe | null;
  /** Publishes an event to the namespace's stream as a producer's outbox relay would. */
  publish<S extends EventSubject>(
    type: S,
    data: EventDataBySubject[S],
    context?: EventContext,
  ): Promise<EventEnvelope<S>>;
  close(): Promise<void>;
}

/** Billing's test configuration; with a FakeStripe, the SDK is pointed at it. */
export function billingTestConfig(
  ns: TestNamespace,
  keys: PrincipalKeys,
  stripe: FakeStripe | null,
  overrides: Record<string, unknown> = {},
): BillingConfig {
  return testServiceConfig('billing', ns, keys, {
    PUBLIC_URL: 'http://localhost:8080',
    STRIPE_TIMEOUT_MS: 2000,
    STRIPE_MAX_NETWORK_RETRIES: 0,
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: 300,
    BILLING_GRACE_SECONDS: 604_800,
    BILLING_SWEEP_INTERVAL_MS: 200,
    ...(stripe && {
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: stripe.port,
      STRIPE_API_PROTOCOL: 'http',
    }),
    ...overrides,
  }) as unknown as BillingConfig;
}

const codec = StringCodec();

/** The billing service alone, on a namespace of its own, fed by events the test publishes. */
export async function startBilling(
  options: { stripe?: boolean; overrides?: Record<string, unknown> } = {},
): Promise<BillingHarness> {
  const ns = testNamespace();
  const keys = await generatePrincipalKeys();
  const stripe = options.stripe === false ? null : await startFakeStripe();
  const config = billingTestConfig(ns, keys, stripe, options.overrides);
  const service = await startTestService(billingService, config, keys, (deps) => buildApp(deps));
  return {
    ns,
    keys,
    service,
    stripe,
    publish: (type, data, context) => publishTestEvent(service.deps.messaging, type, data, context),
    async close() {
      await service.close();
      await stripe?.close();
    },
  };
}

// ---------- fixtures shared by the suites ----------

/** A person signed in (every scope), as the gateway would pass them. */
export function personPrincipal(userId = newId()): AuthenticatedPrincipal {
  return {
    kind: 'session',
    userId,
    credentialId: newId(),
    scopes: [...TOKEN_SCOPES],
    role: 'user',
    organizationId: null,
  };
}

/**
 * Stands in for the organization service's membership RPC (asked when the read model has no row): nobody else
 * is a member. Without it a non-member's request would find no responder.
 */
export function answerNoMembership(h: BillingHarness): void {
  const { messaging } = h.service.deps;
  const reply: MembershipReply = { found: false, organizationExists: true };
  messaging.nc.subscribe(messaging.subject(RPC_SUBJECTS.getMembership), {
    callback: (_error, message) => message.respond(codec.encode(JSON.stringify(reply))),
  });
}

/**
 * Stands in for the organization service's member count (a seat-based checkout asks it): `members` for every
 * organization, or what the function answers for it (null: an organization it does not know). One per harness
 * at a time; unsubscribe it to have no responder (the checkout answers 503).
 */
export async function answerMemberCount(
  h: BillingHarness,
  members: number | ((organizationId: string) => number | null),
): Promise<Subscription> {
  const { messaging } = h.service.deps;
  const countOf = typeof members === 'number' ? () => members : members;
  const subscription = messaging.nc.subscribe(messaging.subject(RPC_SUBJECTS.countMembers), {
    callback: (_error, message) => {
      const { organizationId } = JSON.parse(codec.decode(message.data)) as MemberCountRequest;
      const count = countOf(organizationId);
      const reply: MemberCountReply = count === null ? { found: false } : { found: true, members: count };
      message.respond(codec.encode(JSON.stringify(reply)));
    },
  });
  // Registered at the server before the test asks, so the first request finds it.
  await messaging.nc.flush();
  return subscription;
}

/** Rows of a query against billing's database. */
export function sql<T = Record<string, unknown>>(
  h: BillingHarness,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  return h.service.deps.orm.em.fork().execute(query, params) as Promise<T[]>;
}

/** Publishes organization.created and waits until billing has the account. */
export async function createOrganization(
  h: BillingHarness,
  name = 'Acme Inc',
): Promise<{ organizationId: string; name: string; slug: string }> {
  const organization = { organizationId: newId(), name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-') };
  await h.publish(EVENT_SUBJECTS.organizationCreated, organization);
  await eventually(async () => {
    const rows = await sql(h, 'select 1 from billing_accounts where organization_id = ?', [
      organization.organizationId,
    ]);
    if (rows.length === 0) throw new Error('no account yet');
  }, 10_000);
  return organization;
}

/** Publishes member.added and waits until billing's membership copy has it. */
export async function addMember(h: BillingHarness, organizationId: string, userId: string, role: Role): Promise<void> {
  await h.publish(EVENT_SUBJECTS.memberAdded, { organizationId, userId, role });
  await eventually(async () => {
    const rows = await sql(h, 'select 1 from memberships where organization_id = ? and user_id = ?', [
      organizationId,
      userId,
    ]);
    if (rows.length === 0) throw new Error('no membership yet');
  }, 10_000);
}

/** Every event of this subject on the namespace's stream so far, oldest first (the stream is small in a test). */
export async function streamEvents<S extends EventSubject>(h: BillingHarness, type: S): Promise<EventEnvelope<S>[]> {
  const { messaging } = h.service.deps;
  const { state } = await messaging.jsm.streams.info(messaging.stream);
  const events: EventEnvelope<S>[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
    const message = await messaging.jsm.streams.getMessage(messaging.stream, { seq }).catch(() => null);
    if (message?.subject === messaging.subject(type)) events.push(message.json<EventEnvelope<S>>());
  }
  return events;
}
