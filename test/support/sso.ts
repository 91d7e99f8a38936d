import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ApiClient } from './client.js';
import type { TestDnsServer } from './dns-server.js';

/** A domain no other test uses. */
export function uniqueDomain(label: string): string {
  return `${label}-${randomBytes(5).toString('hex')}.test`;
}

/** Adds the domain to the organization at `base`, publishes its TXT record on `dns` and verifies it. */
export async function addVerifiedDomain(
  client: ApiClient,
  dns: TestDnsServer,
  base: string,
  domain: string,
): Promise<string> {
  const added = await client.post(`${base}/domains`, { domain });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  dns.publish(added.body.data.verification.name, added.body.data.verification.value);
  const verified = await client.post(`${base}/domains/${added.body.data.id}/verify`);
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  return added.body.data.id;
}
