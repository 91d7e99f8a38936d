import { request as httpRequest } from 'node:http';
import { SCIM_MEDIA_TYPE, SCIM_SCHEMAS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import SCIMMY from 'scimmy';
import { expect } from 'vitest';
import { ApiClient, type Json } from './client.js';
import { TestDnsServer } from './dns-server.js';
import { verifiedUser } from './flows.js';
import { addVerifiedDomain, uniqueDomain } from './sso.js';
import { type Stack, startStack } from './stack.js';

/**
 * SCIM 2.0 as a directory (Okta, Entra ID) speaks it: a directory made by an owner through the
 * gateway, a bearer-token client that sends `application/scim+json`, and checks of every answer
 * against scimmy, an independent SCIM implementation, so our shapes are not only what our own
 * schemas say.
 */

// scimmy's User schema knows the enterprise extension only when told; optional, as RFC 7643 §4.3 has it.
// (Its typings want an instance; at run time it takes the schema class, as its own docs show.)
const extended = SCIMMY.Schemas.User.definition.attributes.some(
  (attribute) => (attribute as { id?: string }).id === SCIM_SCHEMAS.enterpriseUser,
);
if (!extended) SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as never, false);

/** What every SCIM suite starts from: the stack, the DNS server identity verifies domains on, an owner. */
export interface ScimStack {
  stack: Stack;
  dns: TestDnsServer;
  owner: Awaited<ReturnType<typeof verifiedUser>>;
  close(): Promise<void>;
}

/** The suites sign people in and up many times from one address: those limits are raised. */
export async function startScimStack(): Promise<ScimStack> {
  const dns = new TestDnsServer();
  await dns.start();
  const stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    { DNS_SERVERS: dns.address },
  );
  const owner = await verifiedUser(stack, 'Olive Owner');
  return {
    stack,
    dns,
    owner,
    async close() {
      await stack.close();
      await dns.close();
    },
  };
}

export interface ScimDirectory {
  directory: Json;
  token: string;
  /** The verified domain people may be provisioned in. */
  domain: string;
  /** `/api/user/organizations/:id/directories` of the owner's organization. */
  base: string;
}

type Owner = { client: ApiClient; organizationId: string };

/**
 * The owner verifies a fresh domain on the test DNS server (identity must have been started with
 * DNS_SERVERS = dns.address), then creates a directory through the gateway with their session.
 */
export async function scimDirectory(
  owner: Owner,
  dns: TestDnsServer,
  body: { name?: string; defaultRole?: string; roleMapping?: Array<{ group: string; role: string }> } = {},
  domain = uniqueDomain('scim'),
): Promise<ScimDirectory> {
  const organization = `/api/user/organizations/${owner.organizationId}`;
  await addVerifiedDomain(owner.client, dns, organization, domain);
  const base = `${organization}/directories`;
  const created = await owner.client.post(base, { name: 'Corporate directory', ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { directory: created.body.data.directory, token: created.body.data.token, domain, base };
}

export interface ScimResponse {
  status: number;
  headers: Headers;
  body: Json;
}

/** A SCIM client: paths are relative to /scim/v2 (or absolute), bodies go as `application/scim+json`. */
export class ScimClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly options: { userAgent?: string | null } = {},
  ) {}

  /** The same directory, as another client (no User-Agent, another replica). */
  with(options: { userAgent?: string | null; baseUrl?: string; token?: string }): ScimClient {
    const userAgent = 'userAgent' in options ? options.userAgent : this.options.userAgent;
    return new ScimClient(options.baseUrl ?? this.baseUrl, options.token ?? this.token, { userAgent });
  }

  async request(method: string, path: string, body?: unknown): Promise<ScimResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: SCIM_MEDIA_TYPE };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = SCIM_MEDIA_TYPE;
    const url = new URL(path.startsWith('/') ? path : `/scim/v2/${path}`, this.baseUrl);
    if (this.options.userAgent === null) return withoutUserAgent(method, url, headers, payload);
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    // The global fetch: the stack checks every gateway answer against the OpenAPI document through it.
    const response = await fetch(url, { method, headers, body: payload });
    return { status: response.status, headers: response.headers, body: parse(await response.text()) };
  }

  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, body: unknown) {
    return this.request('POST', path, body);
  }
  put(path: string, body: unknown) {
    return this.request('PUT', path, body);
  }
  patch(path: string, body: unknown) {
    return this.request('PATCH', path, body);
  }
  delete(path: string) {
    return this.request('DELETE', path);
  }
}

function parse(text: string): Json {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { unparsable: text.slice(0, 500) };
  }
}

/** node:http, because fetch always adds `User-Agent: node`; a client that sends none must be tried for real. */
function withoutUserAgent(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payload: string | undefined,
): Promise<ScimResponse> {
  const body = payload === undefined ? undefined : Buffer.from(payload);
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers))
          if (typeof value === 'string') answerHeaders.set(name, value);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: incoming.statusCode ?? 0, headers: answerHeaders, body: parse(text) });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** `userAgent: null` sends none at all. */
export function scimClient(
  stack: Stack,
  token: string,
  options: { userAgent?: string | null; baseUrl?: string } = {},
): ScimClient {
  return new ScimClient(options.baseUrl ?? stack.urls.gateway, token, { userAgent: options.userAgent });
}

/** `Users?filter=…` with the filter URL-encoded as clients send it. */
export function filterQuery(resource: 'Users' | 'Groups', filter: string, extra: Record<string, string> = {}): string {
  return `${resource}?${new URLSearchParams({ filter, ...extra }).toString()}`;
}

const say = (response: ScimResponse) => `${response.status} ${JSON.stringify(response.body)}`;

/** A SCIM answer: the status, the SCIM media type, and (for a body) what it is. */
export function expectScim(response: ScimResponse, status: number): Json {
  expect(response.status, say(response)).toBe(status);
  if (status !== 204) expect(response.headers.get('content-type') ?? '').toContain(SCIM_MEDIA_TYPE);
  return response.body;
}

/** A User answer, as scimmy reads it (outbound: types, required attributes, `password` never returned). */
export function expectScimUser(response: ScimResponse, status = 200): Json {
  const body = expectScim(response, status);
  const coerced = SCIMMY.Schemas.User.definition.coerce(body, 'out');
  expect(coerced.id).toBe(body.id);
  expect(body.password, 'a password is never answered').toBeUndefined();
  expect(body.meta?.resourceType).toBe('User');
  expect(body.meta?.location).toMatch(new RegExp(`/scim/v2/Users/${body.id}$`));
  return body;
}

export function expectScimGroup(response: ScimResponse, status = 200): Json {
  const body = expectScim(response, status);
  SCIMMY.Schemas.Group.definition.coerce(body, 'out');
  expect(body.meta?.resourceType).toBe('Group');
  return body;
}

/** A ListResponse (scimmy's reading of it) whose resources are each checked as `kind`. */
export function expectScimList(response: ScimResponse, kind: 'User' | 'Group' | 'none' = 'none'): Json {
  const body = expectScim(response, 200);
  expect(body.schemas).toEqual([SCIM_SCHEMAS.listResponse]);
  const list = new SCIMMY.Messages.ListResponse(body);
  expect(list.totalResults).toBe(body.totalResults);
  expect(body.Resources.length).toBeLessThanOrEqual(body.itemsPerPage || body.Resources.length);
  if (kind !== 'none') for (const resource of body.Resources) SCIMMY.Schemas[kind].definition.coerce(resource, 'out');
  return body;
}

/** A SCIM error: scimmy builds the same message from its fields (it throws on a status/scimType pair RFC 7644 does not allow). */
export function expectScimError(response: ScimResponse, status: number, scimType?: string): Json {
  const body = expectScim(response, status);
  expect(body.schemas).toEqual([SCIM_SCHEMAS.error]);
  expect(body.status).toBe(String(status));
  if (scimType) expect(body.scimType).toBe(scimType);
  const { schemas: _schemas, ...fields } = body;
  const message = new SCIMMY.Messages.Error(fields);
  expect(message.status).toBe(String(status));
  return body;
}

/** The member rows of the organization, as its owner sees them through the gateway. */
export async function members(owner: Owner): Promise<Array<{ userId: string; email: string | null; role: string }>> {
  const rows: Array<{ userId: string; email: string | null; role: string }> = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await owner.client.get(`/api/user/organizations/${owner.organizationId}/members?${query}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    rows.push(...page.body.data);
    cursor = page.body.meta?.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

/** Waits (the organization service applies the directory's events) until `email` has `role` (null: not a member). */
export async function eventuallyMember(owner: Owner, email: string, role: string | null, timeoutMs = 10_000) {
  return eventually(async () => {
    const row = (await members(owner)).find((member) => member.email?.toLowerCase() === email.toLowerCase());
    if ((row?.role ?? null) !== role) throw new Error(`${email} is ${row?.role ?? 'not a member'}, not ${role}`);
    return row;
  }, timeoutMs);
}

/**
 * A provisioned person's own session: a directory-made account has an unusable password, so they set
 * one through the reset link (as they would on their first visit), then sign in.
 */
export async function signInProvisioned(stack: Stack, email: string, password = 'a-provisioned-passphrase') {
  const anonymous = new ApiClient(stack.urls.gateway);
  // A second reset (after a reactivation) must not pick up the first, already used, link.
  // Accounts keep addresses lower-cased (an IdP may send `Adele_V@…`), and so are the mails' recipients.
  const mailbox = email.toLowerCase();
  const earlier = stack.smtp.linkTo(mailbox, '/reset-password');
  const asked = await anonymous.post('/api/auth/request-password-reset', { email });
  expect(asked.status, JSON.stringify(asked.body)).toBe(200);
  const token = await eventually(async () => {
    const link = stack.smtp.linkTo(mailbox, '/reset-password');
    if (!link || link === earlier) throw new Error('no new reset mail yet');
    return new URL(link).searchParams.get('token') ?? '';
  });
  const reset = await anonymous.post('/api/auth/reset-password', { token, newPassword: password });
  expect(reset.status, JSON.stringify(reset.body)).toBe(200);
  const client = new ApiClient(stack.urls.gateway);
  const signIn = await client.post('/api/auth/sign-in/email', { email, password });
  expect(signIn.status, JSON.stringify(signIn.body)).toBe(200);
  return { client, password, userId: signIn.body.data.user.id as string };
}
