import { eventually } from '@gatehouse/service-kit/testing';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient, Json } from '../support/client.js';
import { mailedToken, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * Plan limits through the gateway, billing on the fake Stripe: Free allows 5 projects and 5 members (members and
 * open invitations), a Pro subscription lifts them, and its end keeps what exists but refuses more. Billing's
 * entitlements reach the project and organization services as events, so the suite waits for them to arrive.
 */

type User = Awaited<ReturnType<typeof verifiedUser>>;

// Several verified sign-ups and a subscription's round trip per test: more than the default on 2 cores.
vi.setConfig({ testTimeout: 120_000 });

let stack: Stack;
let stripe: FakeStripe;

beforeAll(async () => {
  stripe = await startFakeStripe();
  stack = await startStack(
    {
      RATE_LIMIT_SIGN_IN_MAX: '1000',
      RATE_LIMIT_SIGN_UP_MAX: '1000',
      RATE_LIMIT_EMAIL_MAX: '1000',
      RATE_LIMIT_IP_MAX: '100000',
    },
    {},
    { billing: { stripe } },
  );
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await stripe?.close();
}, 120_000);

const orgPath = (user: User) => `/api/user/organizations/${user.organizationId}`;

/** A service that enforces a plan: it keeps a copy of each organization's entitlements. */
type Enforcer = Stack['project'] | Stack['organization'];

/** The plan tier a service's copy of the organization's entitlements names (null: none arrived yet). */
async function tierKnownTo(service: Enforcer, organizationId: string): Promise<string | null> {
  const rows = (await service.deps.orm.em
    .fork()
    .execute("select entitlements->>'tierId' as tier from organization_entitlements where organization_id = ?", [
      organizationId,
    ])) as { tier: string }[];
  return rows[0]?.tier ?? null;
}

/** Waits until the service enforcing a limit has heard that the organization is on this tier. */
function awaitTier(service: Enforcer, organizationId: string, tier: string): Promise<void> {
  return eventually(async () => {
    const known = await tierKnownTo(service, organizationId);
    if (known !== tier) throw new Error(`the service knows tier ${known}, not ${tier}, yet`);
  }, 20_000);
}

const projectService = () => stack.project;
const organizationService = () => stack.organization;

/** A verified owner whose organization's Free plan the project and organization services know. */
async function ownerOnFree(name: string): Promise<User> {
  const owner = await verifiedUser(stack, name);
  await awaitTier(projectService(), owner.organizationId, 'free');
  await awaitTier(organizationService(), owner.organizationId, 'free');
  return owner;
}

function createProject(client: ApiClient, user: User, name: string) {
  return client.post(`${orgPath(user)}/projects`, { name });
}

async function createProjects(user: User, count: number, prefix: string): Promise<Json[]> {
  const created: Json[] = [];
  for (let index = 1; index <= count; index += 1) {
    const res = await createProject(user.client, user, `${prefix} ${index}`);
    expect(res.status).toBe(201);
    created.push(res.body.data);
  }
  return created;
}

async function listProjects(user: User): Promise<Json[]> {
  const res = await user.client.get(`${orgPath(user)}/projects?limit=100`);
  expect(res.status).toBe(200);
  return res.body.data;
}

function expectPlanLimit(res: { status: number; body: Json }, user: User, resource: string, current: number) {
  expect(res.status).toBe(403);
  expect(res.body).toMatchObject({ code: 'PLAN_LIMIT_REACHED', meta: { resource, limit: 5, current } });
  expect(res.body.meta.upgradeUrl).toMatch(new RegExp(`/orgs/${user.organizationId}/billing$`));
}

// ---------- Stripe: a checkout for the customer, then the subscription's events as Stripe would send them ----------

async function deliver(type: string, object: unknown): Promise<void> {
  const delivery = stripe.signedDelivery(stripe.event(type, object));
  const res = await fetch(`${stack.urls.gateway}/api/webhooks/stripe`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  expect(res.status).toBe(200);
}

/** Starts a checkout (which makes the organization's Stripe customer) and answers that customer's id. */
async function stripeCustomerOf(owner: User): Promise<string> {
  const back = `${stack.urls.gateway}/orgs/${owner.organizationId}/billing`;
  const started = await owner.client.post(`${orgPath(owner)}/payments/checkout`, {
    tierId: 'pro',
    interval: 'month',
    seatCount: 1,
    successUrl: `${back}?checkout=success`,
    cancelUrl: back,
  });
  expect(started.status).toBe(201);
  const session = stripe
    .requestsTo('POST', '/v1/checkout/sessions')
    .find((entry) => entry.body.client_reference_id === owner.organizationId);
  const customer = session?.body.customer;
  if (typeof customer !== 'string') throw new Error('the checkout named no Stripe customer');
  return customer;
}

/** The organization subscribes to Pro monthly with 10 seats. */
async function upgradeToPro(owner: User): Promise<Stripe.Subscription> {
  const customer = await stripeCustomerOf(owner);
  const subscription = stripe.createSubscription({
    customer,
    price: 'price_pro_monthly',
    quantity: 10,
    metadata: { organizationId: owner.organizationId },
  });
  await deliver('customer.subscription.created', subscription);
  return subscription;
}

/** The subscription ends: the organization is back on Free. */
async function downgrade(subscription: Stripe.Subscription): Promise<void> {
  await deliver('customer.subscription.deleted', stripe.setSubscription(subscription.id, { status: 'canceled' }));
}

describe('plan limits through the gateway', () => {
  it('refuses the 6th project on Free with PLAN_LIMIT_REACHED and the billing page to upgrade on', async () => {
    const owner = await ownerOnFree('Pia Projects');
    await createProjects(owner, 5, 'Free');
    const sixth = await createProject(owner.client, owner, 'One too many');
    expectPlanLimit(sixth, owner, 'projects', 5);
    expect(await listProjects(owner)).toHaveLength(5);
  });

  it('lets exactly 5 of 8 concurrent creations through', async () => {
    const owner = await ownerOnFree('Connie Current');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) => createProject(owner.client, owner, `Race ${index + 1}`)),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([201, 201, 201, 201, 201, 403, 403, 403]);
    for (const refused of answers.filter((res) => res.status === 403)) {
      expect(refused.body).toMatchObject({ code: 'PLAN_LIMIT_REACHED', meta: { resource: 'projects', limit: 5 } });
    }
    expect(await listProjects(owner)).toHaveLength(5);
  });

  it('counts members and open invitations against the seats, and refuses a join past the plan', async () => {
    const owner = await ownerOnFree('Ivy Inviter');
    const people = await Promise.all(['Ann', 'Ben', 'Cat', 'Dan', 'Eve'].map((name) => verifiedUser(stack, name)));
    const invite = (person: User) =>
      owner.client.post(`${orgPath(owner)}/invites`, { email: person.email, role: 'member' });
    // The owner and 4 open invitations fill Free's 5 seats.
    for (const person of people.slice(0, 4)) expect((await invite(person)).status).toBe(201);
    expectPlanLimit(await invite(people[4]!), owner, 'members', 5);

    const subscription = await upgradeToPro(owner);
    await awaitTier(organizationService(), owner.organizationId, 'pro');
    expect((await invite(people[4]!)).status).toBe(201);
    const accept = async (person: User) => {
      const token = await mailedToken(stack, person.email, '/accept-invite?token=');
      return person.client.post(`/api/user/invites/${token}/accept`);
    };
    for (const person of people.slice(0, 4)) expect((await accept(person)).status).toBe(200);

    // Back on Free with 5 members: the last open invitation can no longer be accepted.
    await downgrade(subscription);
    await awaitTier(organizationService(), owner.organizationId, 'free');
    expectPlanLimit(await accept(people[4]!), owner, 'members', 5);
    const members = await owner.client.get(`${orgPath(owner)}/members?limit=100`);
    expect(members.status).toBe(200);
    expect(members.body.data).toHaveLength(5);
  });

  it('lifts the project limit on Pro, and after a downgrade keeps every project but refuses more', async () => {
    const owner = await ownerOnFree('Uma Upgrade');
    await createProjects(owner, 5, 'Before');
    expectPlanLimit(await createProject(owner.client, owner, 'Refused'), owner, 'projects', 5);

    const subscription = await upgradeToPro(owner);
    // Entitlements reach the project service by event: the 6th creation goes through once they have.
    await eventually(async () => {
      const res = await createProject(owner.client, owner, 'After 6');
      if (res.status !== 201) throw new Error(`still ${res.status} ${res.body?.code}`);
    }, 20_000);
    expect((await createProject(owner.client, owner, 'After 7')).status).toBe(201);

    await downgrade(subscription);
    await awaitTier(projectService(), owner.organizationId, 'free');
    const kept = await listProjects(owner);
    expect(kept).toHaveLength(7);
    expectPlanLimit(await createProject(owner.client, owner, 'Over'), owner, 'projects', 7);

    for (const project of kept.slice(0, 3)) {
      expect((await owner.client.delete(`${orgPath(owner)}/projects/${project.id}`)).status).toBe(200);
    }
    expect(await listProjects(owner)).toHaveLength(4);
    expect((await createProject(owner.client, owner, 'Within again')).status).toBe(201);
    expectPlanLimit(await createProject(owner.client, owner, 'Over again'), owner, 'projects', 5);
  });
});
