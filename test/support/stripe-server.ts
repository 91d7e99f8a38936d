import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

/**
 * The test counterpart of Stripe: a node:http server on loopback that the official SDK is pointed at
 * (`host`/`port`/`protocol`), answering with Stripe's published example objects (fixtures3.json, the data Stripe's
 * own mock server uses), adjusted per request: fresh ids, fields echoed from the form body, state kept in maps.
 * Besides the API it serves the pages a person meets: a checkout page whose Pay button completes the session and
 * hands the signed webhook deliveries to the test, and a small portal page.
 */

type Obj = Record<string, unknown>;
type Entry = { method: string; path: string; body: Obj; idempotencyKey?: string; replayed?: boolean };
type Delivery = { body: string; headers: Record<string, string> };
type Answer = { status: number; body: unknown };

export interface FakeStripe {
  url: string;
  port: number;
  secretKey: 'sk_test_fake';
  webhookSecret: string;
  sdkOptions(): { host: string; port: number; protocol: 'http' };
  requests: Entry[];
  requestsTo(method: string, pathPrefix: string): Entry[];
  /** The next `times` calls matching (method or '*', path prefix) answer `how` (a status in Stripe's error shape) or never answer. */
  failNext(method: string, pathPrefix: string, how: number | 'hang', times?: number): void;
  createSubscription(input: SubscriptionInput): Stripe.Subscription;
  setSubscription(id: string, patch: SubscriptionPatch): Stripe.Subscription;
  createInvoice(input: {
    customer: string;
    subscription: string;
    status: 'paid' | 'open';
    amount?: number;
  }): Stripe.Invoice;
  subscription(id: string): Stripe.Subscription | undefined;
  event(type: string, object: unknown, opts?: { created?: number }): Stripe.Event;
  signedDelivery(
    event: Stripe.Event,
    opts?: { timestamp?: number; secret?: string },
  ): { body: string; headers: { 'content-type': 'application/json'; 'stripe-signature': string } };
  onCheckoutPaid(handler: (deliveries: Delivery[]) => Promise<void>): void;
  close(): Promise<void>;
}

export interface SubscriptionInput {
  customer: string;
  price: string;
  quantity?: number;
  status?: string;
  metadata?: Record<string, string>;
  created?: number;
}

export interface SubscriptionPatch {
  status?: string;
  price?: string;
  quantity?: number;
  cancel_at_period_end?: boolean;
  metadata?: Record<string, string>;
}

const SECRET_KEY = 'sk_test_fake';
const DAY = 86_400;
/** The fixture price's amount; every price this fake is asked about costs this per seat. */
const UNIT_AMOUNT = 2000;

const FIXTURES_PATH =
  process.env.STRIPE_FIXTURES_PATH ?? fileURLToPath(new URL('../fixtures/stripe/fixtures3.json', import.meta.url));
let fixtureCache: Obj | null = null;

function fixture<T>(name: string): T {
  fixtureCache ??= (JSON.parse(readFileSync(FIXTURES_PATH, 'utf8')) as { resources: Obj }).resources;
  const value = fixtureCache[name];
  if (!value) throw new Error(`fixtures3.json has no resources.${name}`);
  return structuredClone(value) as T;
}

const now = (): number => Math.floor(Date.now() / 1000);
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  return prefix + Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

// ---------- form bodies: `line_items[0][price]=x&metadata[k]=v` → nested objects and arrays ----------

export function parseForm(text: string): Obj {
  const root: Obj = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
    if (!match) continue;
    const segments = [match[1]!, ...[...match[2]!.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)];
    let node: Obj = root;
    segments.forEach((segment, index) => {
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (index === segments.length - 1) node[name] = value;
      else {
        if (typeof node[name] !== 'object' || node[name] === null) node[name] = {};
        node = node[name] as Obj;
      }
    });
  }
  return arraysFromIndexes(root, '') as Obj;
}

/** Objects whose keys are 0..n-1 become arrays (Stripe's indexed array encoding); metadata stays a map. */
function arraysFromIndexes(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Obj).map(([k, v]) => [k, arraysFromIndexes(v, k)] as const);
  const indexed = entries.length > 0 && entries.every(([k], i) => k === String(i));
  if (indexed && key !== 'metadata') return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}

/** Stripe's metadata semantics: keys merge, an empty value removes the key, an empty metadata removes them all. */
function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === '') return {};
  const next = { ...current };
  for (const [k, v] of Object.entries((update ?? {}) as Obj)) {
    if (v === '') delete next[k];
    else next[k] = String(v);
  }
  return next;
}

/** Sets the params that the object already has (deeply), '' meaning null, so an echo never invents a field. */
function applyParams(target: Obj, params: Obj): void {
  for (const [key, value] of Object.entries(params)) {
    if (key === 'metadata') {
      target.metadata = mergeMetadata((target.metadata ?? {}) as Record<string, string>, value);
      continue;
    }
    if (!(key in target)) continue;
    const current = target[key];
    if (value === '') target[key] = null;
    else if (isPlainObject(value) && isPlainObject(current)) applyParams(current, value);
    else target[key] = value;
  }
}

const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------- errors, in Stripe's shape ----------

class StripeFail extends Error {
  constructor(
    readonly status: number,
    readonly error: { type: string; message: string; code?: string; param?: string },
  ) {
    super(error.message);
  }
}

function missing(kind: string, id: string, param = 'id'): StripeFail {
  return new StripeFail(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${kind}: '${id}'`,
  });
}

function invalid(param: string, message: string): StripeFail {
  return new StripeFail(400, { type: 'invalid_request_error', code: 'parameter_missing', param, message });
}

function injectedError(status: number): { type: string; message: string; code?: string } {
  if (status === 429) return { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests.' };
  if (status >= 500) return { type: 'api_error', message: 'An unknown error occurred (injected by the test).' };
  if (status === 401) return { type: 'invalid_request_error', message: 'Invalid API Key provided (injected).' };
  if (status === 402) return { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' };
  return { type: 'invalid_request_error', message: `Injected failure ${status}.` };
}

// ---------- the server ----------

interface SessionExtra {
  lineItems: { price: string; quantity: number }[];
  subscriptionMetadata: Record<string, string>;
}

interface Failure {
  method: string;
  pathPrefix: string;
  how: number | 'hang';
  times: number;
}

export async function startFakeStripe(options: { webhookSecret?: string; port?: number } = {}): Promise<FakeStripe> {
  const customers = new Map<string, Stripe.Customer>();
  const taxIds = new Map<string, Stripe.TaxId>();
  const sessions = new Map<string, Stripe.Checkout.Session>();
  const sessionExtras = new Map<string, SessionExtra>();
  const portals = new Map<string, Stripe.BillingPortal.Session>();
  const subscriptions = new Map<string, Stripe.Subscription>();
  const invoices = new Map<string, Stripe.Invoice>();
  const replays = new Map<string, { fingerprint: string; answer: Answer }>();
  const failures: Failure[] = [];
  const requests: Entry[] = [];
  let checkoutPaid: ((deliveries: Delivery[]) => Promise<void>) | null = null;
  let base = '';
  let invoiceNumber = 0;
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString('base64url')}`;

  // -- customers and tax ids --

  function customerOf(id: string, param = 'id'): Stripe.Customer {
    const found = customers.get(id);
    if (!found) throw missing('customer', id, param);
    return found;
  }

  function createCustomer(params: Obj): Stripe.Customer {
    const customer = fixture<Stripe.Customer>('customer');
    Object.assign(customer, { id: newId('cus_', 14), created: now(), discount: null, email: null, name: null });
    customer.invoice_prefix = randomBytes(4).toString('hex').toUpperCase().slice(0, 7);
    applyParams(customer as unknown as Obj, params);
    customers.set(customer.id, customer);
    const taxData = Array.isArray(params.tax_id_data) ? (params.tax_id_data as Obj[]) : [];
    for (const data of taxData) createTaxId(customer.id, data);
    return customer;
  }

  function createTaxId(customerId: string, params: Obj): Stripe.TaxId {
    customerOf(customerId);
    if (!params.type) throw invalid('type', 'Missing required param: type.');
    if (!params.value) throw invalid('value', 'Missing required param: value.');
    const value = String(params.value);
    const taxId = fixture<Stripe.TaxId>('tax_id');
    Object.assign(taxId, {
      id: newId('txi_'),
      created: now(),
      customer: customerId,
      owner: { type: 'customer', customer: customerId, customer_account: null },
      type: String(params.type),
      value,
      country: /^[A-Z]{2}/.test(value) ? value.slice(0, 2) : null,
    });
    taxIds.set(taxId.id, taxId);
    return taxId;
  }

  function customerTaxIds(customerId: string): Stripe.TaxId[] {
    return [...taxIds.values()].filter((t) => t.customer === customerId).reverse();
  }

  // -- checkout and portal --

  function createCheckoutSession(params: Obj): Stripe.Checkout.Session {
    const mode = String(params.mode ?? 'payment') as Stripe.Checkout.Session.Mode;
    if (!params.success_url && params.ui_mode !== 'embedded') throw invalid('success_url', 'Missing success_url.');
    const lineItems = (Array.isArray(params.line_items) ? (params.line_items as Obj[]) : []).map((item) => ({
      price: String(item.price ?? ''),
      quantity: Number(item.quantity ?? 1),
    }));
    if (mode === 'subscription' && lineItems.length === 0) throw invalid('line_items', 'Missing line_items.');
    if (params.customer) customerOf(String(params.customer), 'customer');
    const id = newId('cs_test_', 58);
    const session = fixture<Stripe.Checkout.Session>('checkout.session');
    const created = now();
    const amount = lineItems.reduce((sum, item) => sum + item.quantity * UNIT_AMOUNT, 0);
    Object.assign(session, {
      id,
      created,
      expires_at: created + DAY,
      mode,
      customer: params.customer ? String(params.customer) : null,
      customer_email: params.customer_email ? String(params.customer_email) : null,
      client_reference_id: params.client_reference_id ? String(params.client_reference_id) : null,
      success_url: params.success_url ? String(params.success_url) : null,
      cancel_url: params.cancel_url ? String(params.cancel_url) : null,
      metadata: mergeMetadata({}, params.metadata),
      url: `${base}/checkout/${id}`,
      status: 'open',
      payment_status: 'unpaid',
      payment_intent: null,
      subscription: null,
      invoice: null,
      currency: 'usd',
      amount_subtotal: amount,
      amount_total: amount,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      shipping_cost: null,
      shipping_address_collection: null,
      currency_conversion: null,
      after_expiration: null,
      collected_information: null,
      customer_details: null,
      invoice_creation: null,
      payment_method_configuration_details: null,
      locale: params.locale ? String(params.locale) : null,
      allow_promotion_codes: params.allow_promotion_codes === 'true' ? true : null,
    });
    sessions.set(id, session);
    const subscriptionData = (params.subscription_data ?? {}) as Obj;
    sessionExtras.set(id, { lineItems, subscriptionMetadata: mergeMetadata({}, subscriptionData.metadata) });
    return session;
  }

  function createPortalSession(params: Obj): Stripe.BillingPortal.Session {
    if (!params.customer) throw invalid('customer', 'Missing required param: customer.');
    customerOf(String(params.customer), 'customer');
    const portal = fixture<Stripe.BillingPortal.Session>('billing_portal.session');
    const id = newId('bps_');
    Object.assign(portal, {
      id,
      created: now(),
      customer: String(params.customer),
      flow: null,
      livemode: false,
      configuration: params.configuration ? String(params.configuration) : portal.configuration,
      return_url: params.return_url ? String(params.return_url) : null,
      locale: params.locale ? String(params.locale) : null,
      url: `${base}/portal/${id}`,
    });
    portals.set(id, portal);
    return portal;
  }

  // -- subscriptions and invoices --

  function createSubscription(input: SubscriptionInput): Stripe.Subscription {
    const subscription = fixture<Stripe.Subscription>('subscription');
    const id = newId('sub_');
    const created = input.created ?? now();
    Object.assign(subscription, {
      id,
      customer: input.customer,
      status: (input.status ?? 'active') as Stripe.Subscription.Status,
      created,
      start_date: created,
      billing_cycle_anchor: created,
      billing_cycle_anchor_config: null,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      trial_start: null,
      trial_end: null,
      cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
      next_pending_invoice_item_invoice: null,
      pending_invoice_item_interval: null,
      pending_update: null,
      pause_collection: null,
      transfer_data: null,
      latest_invoice: null,
      billing_schedules: [],
      metadata: { ...(input.metadata ?? {}) },
    });
    const item = subscription.items.data[0]!;
    Object.assign(item, { id: newId('si_', 14), subscription: id, created, metadata: {}, billing_thresholds: null });
    subscription.items.url = `/v1/subscription_items?subscription=${id}`;
    setItemPrice(subscription, input.price, input.quantity ?? 1);
    subscriptions.set(id, subscription);
    return subscription;
  }

  /** The item carries the price and quantity; the plan mirrors the price (the fixture's plan is unrelated noise). */
  function setItemPrice(subscription: Stripe.Subscription, priceId: string, quantity: number): void {
    const item = subscription.items.data[0]!;
    const interval: Stripe.Price.Recurring.Interval = /year|annual/i.test(priceId) ? 'year' : 'month';
    const start = subscription.billing_cycle_anchor;
    Object.assign(item.price, {
      id: priceId,
      unit_amount: UNIT_AMOUNT,
      unit_amount_decimal: String(UNIT_AMOUNT),
      transform_quantity: null,
      custom_unit_amount: null,
    });
    item.price.recurring = { ...item.price.recurring!, interval, interval_count: 1 };
    Object.assign(item.plan, {
      id: priceId,
      amount: UNIT_AMOUNT,
      amount_decimal: String(UNIT_AMOUNT),
      billing_scheme: 'per_unit',
      currency: 'usd',
      interval,
      interval_count: 1,
      livemode: false,
      metadata: {},
      product: item.price.product,
      transform_usage: null,
      created: item.price.created,
    });
    Object.assign(item, {
      quantity,
      current_period_start: start,
      current_period_end: start + (interval === 'year' ? 365 : 30) * DAY,
    });
  }

  function subscriptionOf(id: string): Stripe.Subscription {
    const found = subscriptions.get(id);
    if (!found) throw missing('subscription', id);
    return found;
  }

  function setSubscription(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    const subscription = subscriptionOf(id);
    const item = subscription.items.data[0]!;
    if (patch.price !== undefined || patch.quantity !== undefined) {
      setItemPrice(subscription, patch.price ?? item.price.id, patch.quantity ?? item.quantity ?? 1);
    }
    if (patch.metadata) subscription.metadata = { ...patch.metadata };
    if (patch.cancel_at_period_end !== undefined) {
      subscription.cancel_at_period_end = patch.cancel_at_period_end;
      subscription.cancel_at = patch.cancel_at_period_end ? item.current_period_end : null;
    }
    if (patch.status) {
      subscription.status = patch.status as Stripe.Subscription.Status;
      if (patch.status === 'canceled' || patch.status === 'incomplete_expired') endSubscription(subscription);
    }
    return subscription;
  }

  function endSubscription(subscription: Stripe.Subscription): void {
    const at = now();
    subscription.canceled_at ??= at;
    subscription.ended_at ??= at;
    subscription.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: 'cancellation_requested',
    };
  }

  function cancelSubscription(id: string): Stripe.Subscription {
    const subscription = subscriptionOf(id);
    // Stripe treats a canceled subscription as gone for a second cancel (and keeps it retrievable).
    if (subscription.status === 'canceled') throw missing('subscription', id);
    subscription.status = 'canceled';
    endSubscription(subscription);
    return subscription;
  }

  function createInvoice(input: {
    customer: string;
    subscription: string;
    status: 'paid' | 'open';
    amount?: number;
  }): Stripe.Invoice {
    const subscription = subscriptions.get(input.subscription);
    const item = subscription?.items.data[0];
    const quantity = item?.quantity ?? 1;
    const amount = input.amount ?? quantity * UNIT_AMOUNT;
    const paid = input.status === 'paid';
    const created = now();
    const id = newId('in_');
    const customer = customers.get(input.customer);
    const invoice = fixture<Stripe.Invoice>('invoice');
    invoiceNumber += 1;
    Object.assign(invoice, {
      id,
      created,
      effective_at: created,
      customer: input.customer,
      customer_email: customer?.email ?? null,
      customer_name: customer?.name ?? null,
      status: input.status,
      number: `FAKE-${String(invoiceNumber).padStart(4, '0')}`,
      billing_reason: subscription?.latest_invoice ? 'subscription_cycle' : 'subscription_create',
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      amount_remaining: paid ? 0 : amount,
      amount_overpaid: 0,
      subtotal: amount,
      subtotal_excluding_tax: amount,
      total: amount,
      total_excluding_tax: amount,
      shipping_cost: null,
      from_invoice: null,
      last_finalization_error: null,
      due_date: null,
      webhooks_delivered_at: null,
      attempted: true,
      attempt_count: 1,
      next_payment_attempt: paid ? null : created + 3 * DAY,
      period_start: item?.current_period_start ?? created,
      period_end: item?.current_period_end ?? created,
      hosted_invoice_url: `${base}/invoices/${id}`,
      invoice_pdf: `${base}/invoices/${id}/pdf`,
      status_transitions: {
        finalized_at: created,
        marked_uncollectible_at: null,
        paid_at: paid ? created : null,
        voided_at: null,
      },
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { metadata: { ...(subscription?.metadata ?? {}) }, subscription: input.subscription },
      },
    });
    const line = invoice.lines.data[0]!;
    Object.assign(line, {
      id: newId('il_'),
      invoice: id,
      amount,
      subtotal: amount,
      quantity,
      description: `${quantity} × ${item?.price.id ?? 'seat'}`,
      period: { start: invoice.period_start, end: invoice.period_end },
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          proration_details: { credited_items: null },
          subscription: input.subscription,
          subscription_item: item?.id ?? null,
        },
      },
      pricing: {
        type: 'price_details',
        price_details: { price: item?.price.id ?? null, product: item?.price.product ?? null },
        unit_amount_decimal: String(UNIT_AMOUNT),
      },
    });
    invoice.lines.url = `/v1/invoices/${id}/lines`;
    invoices.set(id, invoice);
    if (subscription) subscription.latest_invoice = id;
    return invoice;
  }

  function invoiceOf(id: string, param = 'id'): Stripe.Invoice {
    const found = invoices.get(id);
    if (!found) throw missing('invoice', id, param);
    return found;
  }

  function listInvoices(params: Obj): Obj {
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new StripeFail(400, {
        type: 'invalid_request_error',
        param: 'limit',
        message: 'Invalid limit: must be between 1 and 100',
      });
    }
    // Newest first, as Stripe lists; ties keep the creation order reversed.
    let all = [...invoices.values()].reverse().sort((a, b) => b.created - a.created);
    if (params.customer) all = all.filter((i) => i.customer === params.customer);
    if (params.subscription) {
      all = all.filter((i) => i.parent?.subscription_details?.subscription === params.subscription);
    }
    if (params.status) all = all.filter((i) => i.status === params.status);
    if (params.starting_after) {
      const cursor = String(params.starting_after);
      invoiceOf(cursor, 'starting_after');
      all = all.slice(all.findIndex((i) => i.id === cursor) + 1);
    } else if (params.ending_before) {
      const cursor = String(params.ending_before);
      invoiceOf(cursor, 'ending_before');
      const before = all.slice(
        0,
        Math.max(
          0,
          all.findIndex((i) => i.id === cursor),
        ),
      );
      return list(before.slice(-limit), before.length > limit, '/v1/invoices');
    }
    return list(all.slice(0, limit), all.length > limit, '/v1/invoices');
  }

  function list(data: unknown[], hasMore: boolean, url: string): Obj {
    return { object: 'list', data, has_more: hasMore, url };
  }

  // -- expand[]: replaces ids with the objects this fake holds --

  function lookup(id: string): unknown {
    return (
      customers.get(id) ?? subscriptions.get(id) ?? invoices.get(id) ?? sessions.get(id) ?? taxIds.get(id) ?? undefined
    );
  }

  function expand(object: unknown, params: Obj): unknown {
    const paths = Array.isArray(params.expand) ? (params.expand as string[]) : [];
    if (paths.length === 0) return object;
    const copy = structuredClone(object) as Obj;
    for (const path of paths) {
      const keys = path.split('.');
      let node: Obj | undefined = copy;
      keys.forEach((key, index) => {
        if (!node) return;
        const value = node[key];
        if (index === keys.length - 1) {
          if (typeof value === 'string') node[key] = structuredClone(lookup(value) ?? value);
        } else node = isPlainObject(value) ? value : undefined;
      });
    }
    return copy;
  }

  // -- routes --

  type Handler = (params: Obj, ids: string[]) => unknown;
  const routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  const route = (method: string, path: string, handler: Handler): void => {
    routes.push({ method, pattern: new RegExp(`^${path.replace(/:\w+/g, '([^/]+)')}$`), handler });
  };

  route('POST', '/v1/customers', (params) => createCustomer(params));
  route('GET', '/v1/customers/:id', (_, [id]) => customerOf(id!));
  route('POST', '/v1/customers/:id', (params, [id]) => {
    const customer = customerOf(id!);
    applyParams(customer as unknown as Obj, params);
    return customer;
  });
  route('POST', '/v1/customers/:id/tax_ids', (params, [id]) => createTaxId(id!, params));
  route('GET', '/v1/customers/:id/tax_ids', (params, [id]) => {
    customerOf(id!);
    const all = customerTaxIds(id!);
    const limit = Number(params.limit ?? 10);
    return list(all.slice(0, limit), all.length > limit, `/v1/customers/${id}/tax_ids`);
  });
  route('DELETE', '/v1/customers/:id/tax_ids/:taxId', (_, [id, taxIdValue]) => {
    customerOf(id!);
    const taxId = taxIds.get(taxIdValue!);
    if (!taxId || taxId.customer !== id) throw missing('tax_id', taxIdValue!);
    taxIds.delete(taxId.id);
    return { ...fixture<Stripe.DeletedTaxId>('deleted_tax_id'), id: taxId.id };
  });
  route('POST', '/v1/checkout/sessions', (params) => createCheckoutSession(params));
  route('GET', '/v1/checkout/sessions/:id', (_, [id]) => {
    const session = sessions.get(id!);
    if (!session) throw missing('checkout.session', id!);
    return session;
  });
  route('POST', '/v1/billing_portal/sessions', (params) => createPortalSession(params));
  route('GET', '/v1/subscriptions/:id', (_, [id]) => subscriptionOf(id!));
  route('DELETE', '/v1/subscriptions/:id', (_, [id]) => cancelSubscription(id!));
  route('GET', '/v1/invoices/:id', (_, [id]) => invoiceOf(id!));
  route('GET', '/v1/invoices', (params) => listInvoices(params));

  function dispatch(method: string, path: string, params: Obj): Answer {
    for (const candidate of routes) {
      const match = candidate.method === method ? candidate.pattern.exec(path) : null;
      if (!match) continue;
      const ids = match.slice(1).map(decodeURIComponent);
      try {
        // A snapshot: later state changes must not alter an answer already given (or replayed).
        return { status: 200, body: expand(structuredClone(candidate.handler(params, ids)), params) };
      } catch (error) {
        if (error instanceof StripeFail) return { status: error.status, body: { error: error.error } };
        throw error;
      }
    }
    return {
      status: 404,
      body: {
        error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` },
      },
    };
  }

  function takeFailure(method: string, path: string): Failure | undefined {
    const index = failures.findIndex((f) => (f.method === '*' || f.method === method) && path.startsWith(f.pathPrefix));
    const failure = failures[index];
    if (!failure) return undefined;
    failure.times -= 1;
    if (failure.times <= 0) failures.splice(index, 1);
    return failure;
  }

  function answerApi(request: IncomingMessage, response: ServerResponse, path: string, raw: string, query: string) {
    const method = request.method ?? 'GET';
    const params = { ...parseForm(query), ...parseForm(raw) };
    const idempotencyKey = header(request, 'idempotency-key');
    const entry: Entry = { method, path, body: params, ...(idempotencyKey ? { idempotencyKey } : {}) };
    requests.push(entry);
    if (header(request, 'authorization') !== `Bearer ${SECRET_KEY}`) {
      const message = 'Invalid API Key provided: the fake Stripe accepts only sk_test_fake.';
      return sendJson(response, 401, { error: { type: 'invalid_request_error', message } });
    }
    if (!header(request, 'stripe-version')) {
      const message = 'The fake Stripe requires a Stripe-Version header (the SDK always sends one).';
      return sendJson(response, 400, { error: { type: 'invalid_request_error', message } });
    }
    const failure = takeFailure(method, path);
    if (failure?.how === 'hang') return; // never answered: the SDK's timeout (or close()) ends it
    if (failure) return sendJson(response, failure.how, { error: injectedError(failure.how) });
    if (idempotencyKey) {
      const fingerprint = `${method} ${path} ${raw}`;
      const earlier = replays.get(idempotencyKey);
      if (earlier && earlier.fingerprint !== fingerprint) {
        const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`;
        return sendJson(response, 400, { error: { type: 'idempotency_error', message } });
      }
      if (earlier) {
        entry.replayed = true;
        return sendJson(response, earlier.answer.status, earlier.answer.body, { 'idempotent-replayed': 'true' });
      }
      const answer = dispatch(method, path, params);
      replays.set(idempotencyKey, { fingerprint, answer });
      return sendJson(response, answer.status, answer.body);
    }
    const answer = dispatch(method, path, params);
    sendJson(response, answer.status, answer.body);
  }

  // -- the pages a person meets --

  function event(type: string, object: unknown, opts: { created?: number } = {}): Stripe.Event {
    const value = fixture<Obj>('event');
    Object.assign(value, {
      id: newId('evt_'),
      type,
      created: opts.created ?? now(),
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
    });
    return value as unknown as Stripe.Event;
  }

  function signedDelivery(event: Stripe.Event, opts: { timestamp?: number; secret?: string } = {}) {
    const body = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: opts.secret ?? webhookSecret,
      timestamp: opts.timestamp ?? now(),
    });
    return { body, headers: { 'content-type': 'application/json' as const, 'stripe-signature': signature } };
  }

  async function pay(id: string, response: ServerResponse): Promise<void> {
    const session = sessions.get(id);
    const extra = sessionExtras.get(id);
    if (!session || !extra) return sendHtml(response, 404, page('Checkout', '<p>No such checkout session.</p>'));
    if (session.status === 'open') {
      const customerId = session.customer
        ? String(session.customer)
        : createCustomer({ email: session.customer_email ?? '' }).id;
      const [first] = extra.lineItems;
      const subscription = createSubscription({
        customer: customerId,
        price: first?.price ?? 'price_unknown',
        quantity: first?.quantity ?? 1,
        metadata: extra.subscriptionMetadata,
      });
      const invoice = createInvoice({ customer: customerId, subscription: subscription.id, status: 'paid' });
      const customer = customers.get(customerId);
      Object.assign(session, {
        status: 'complete',
        payment_status: 'paid',
        customer: customerId,
        subscription: subscription.id,
        invoice: invoice.id,
        customer_details: {
          address: customer?.address ?? null,
          email: customer?.email ?? session.customer_email ?? null,
          name: customer?.name ?? null,
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
          business_name: null,
          individual_name: null,
        },
      });
      const deliveries = [
        event('checkout.session.completed', session),
        event('customer.subscription.created', subscription),
        event('invoice.paid', invoice),
      ].map((e) => signedDelivery(e));
      if (checkoutPaid) await checkoutPaid(deliveries);
    }
    const location = (session.success_url ?? `${base}/checkout/${id}`).replaceAll('{CHECKOUT_SESSION_ID}', id);
    response.writeHead(303, { location }).end();
  }

  function checkoutPage(id: string, response: ServerResponse) {
    const session = sessions.get(id);
    const extra = sessionExtras.get(id);
    if (!session || !extra) return sendHtml(response, 404, page('Checkout', '<p>No such checkout session.</p>'));
    const items = extra.lineItems.map((i) => `<li>${escapeHtml(i.price)} × ${i.quantity}</li>`).join('');
    const total = ((session.amount_total ?? 0) / 100).toFixed(2);
    const body =
      session.status === 'open'
        ? `<ul>${items}</ul><p>Total: $${total} per period</p>
<form method="post" action="/checkout/${id}/pay"><button type="submit">Pay</button></form>
${session.cancel_url ? `<a href="${escapeHtml(session.cancel_url)}">Cancel</a>` : ''}`
        : '<p>This checkout session is complete.</p>';
    sendHtml(response, 200, page('Fake Stripe Checkout', body));
  }

  function portalPage(id: string, response: ServerResponse) {
    const portal = portals.get(id);
    if (!portal) return sendHtml(response, 404, page('Billing portal', '<p>No such portal session.</p>'));
    const back = portal.return_url ? `<a href="${escapeHtml(portal.return_url)}">Return</a>` : '';
    sendHtml(response, 200, page('Fake Stripe billing portal', `<p>Customer ${portal.customer}</p>${back}`));
  }

  function invoicePage(id: string, response: ServerResponse) {
    const invoice = invoices.get(id);
    if (!invoice) return sendHtml(response, 404, page('Invoice', '<p>No such invoice.</p>'));
    sendHtml(response, 200, page(`Invoice ${invoice.number}`, `<p>${invoice.status}: ${invoice.amount_due} cents</p>`));
  }

  async function handle(request: IncomingMessage, response: ServerResponse, raw: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    response.setHeader('request-id', newId('req_', 14));
    if (path.startsWith('/v1/')) return answerApi(request, response, path, raw, url.search.slice(1));
    const pageMatch = /^\/(checkout|portal|invoices)\/([^/]+)(\/pay)?$/.exec(path);
    if (pageMatch?.[1] === 'checkout' && pageMatch[3] && request.method === 'POST') return pay(pageMatch[2]!, response);
    if (pageMatch && !pageMatch[3] && request.method === 'GET') {
      if (pageMatch[1] === 'checkout') return checkoutPage(pageMatch[2]!, response);
      if (pageMatch[1] === 'portal') return portalPage(pageMatch[2]!, response);
      return invoicePage(pageMatch[2]!, response);
    }
    sendHtml(response, 404, page('Not found', '<p>Not found.</p>'));
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, response, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!response.headersSent) sendJson(response, 500, { error: { type: 'api_error', message } });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    port,
    secretKey: SECRET_KEY,
    webhookSecret,
    sdkOptions: () => ({ host: '127.0.0.1', port, protocol: 'http' }),
    requests,
    requestsTo: (method, pathPrefix) => requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)),
    failNext: (method, pathPrefix, how, times = 1) => {
      failures.push({ method, pathPrefix, how, times });
    },
    // Snapshots, so an object a test holds keeps the state it had (a stale payload stays stale).
    createSubscription: (input) => structuredClone(createSubscription(input)),
    setSubscription: (id, patch) => structuredClone(setSubscription(id, patch)),
    createInvoice: (input) => structuredClone(createInvoice(input)),
    subscription: (id) => structuredClone(subscriptions.get(id)),
    event,
    signedDelivery,
    onCheckoutPaid: (handler) => {
      checkoutPaid = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
