import { eventually } from '@gatehouse/service-kit/testing';
import { ApiClient, type Json } from './client.js';
import type { Stack } from './stack.js';

export const PASSWORD = 'a-long-secure-passphrase';

let counter = 0;
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}@example.com`;
}

/** Signs up and in; the returned client carries the session cookie. */
export async function signedInUser(stack: Stack, name = 'Test User', email = uniqueEmail()) {
  const client = new ApiClient(stack.urls.gateway);
  const signUp = await client.post('/api/auth/sign-up/email', { email, password: PASSWORD, name });
  if (signUp.status !== 200) throw new Error(`sign-up failed: ${JSON.stringify(signUp.body)}`);
  const signIn = await client.post('/api/auth/sign-in/email', { email, password: PASSWORD });
  if (signIn.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(signIn.body)}`);
  const organizations = await client.get('/api/user/organizations');
  const organizationId: string = organizations.body.data[0]?.id;
  return { client, email, userId: signUp.body.data.id as string, organizationId };
}

/**
 * Clicks the mailed verification link with the account's own session (another session would end the
 * account's credentials), then waits until the organization service's directory has learnt it.
 */
export async function verifyEmail(stack: Stack, user: { client: ApiClient; email: string; userId: string }) {
  const token = await mailedToken(stack, user.email, '/verify-email?token=');
  const verified = await user.client.get(`/api/auth/verify-email?token=${token}`);
  if (verified.status !== 200) throw new Error(`verification failed: ${JSON.stringify(verified.body)}`);
  await eventually(async () => {
    const [row] = await stack.organization.deps.orm.em
      .fork()
      .execute('select is_verified from directory_users where user_id = ?', [user.userId]);
    if (row?.is_verified !== true) throw new Error('the organization directory has not learnt it yet');
  }, 20_000);
}

/** A signed-in user whose email is verified: only such accounts invite, change roles or remove members. */
export async function verifiedUser(stack: Stack, name = 'Test User', email = uniqueEmail()) {
  const user = await signedInUser(stack, name, email);
  await verifyEmail(stack, user);
  return user;
}

export async function createKey(client: ApiClient, body: Json) {
  const res = await client.post('/api/auth/api-key/create', body);
  if (res.status !== 200) throw new Error(`key creation failed: ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; key: string; scopes: string[] };
}

export function keyClient(stack: Stack, key: string, baseUrl = stack.urls.gateway): ApiClient {
  return new ApiClient(baseUrl, { 'X-Api-Key': key });
}

/** Follows the newest mailed link of this kind to the given address. */
export async function mailedToken(stack: Stack, email: string, path: string): Promise<string> {
  return eventually(async () => {
    const link = stack.smtp.linkTo(email, path);
    if (!link) throw new Error('no such mail yet');
    const url = new URL(link);
    return url.searchParams.get('token') ?? url.pathname.split('/').at(-2) ?? '';
  });
}
