import type { DirectoryPrincipal } from '@gatehouse/contracts';
import { newId, SCIM_MEDIA_TYPE } from '@gatehouse/contracts';
import type { IdentityHarness } from './harness.js';

/**
 * What the identity SCIM suites share: ad-hoc SQL on the harness's database, a call to /scim/v2 as a
 * directory's signed principal (the gateway's forwarding), and the rows a directory starts from.
 * Getters, because each suite starts its harness in beforeAll.
 */
export function scimSuite(harness: () => IdentityHarness, caller: () => DirectoryPrincipal) {
  // biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
  const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
    harness().service.deps.orm.em.fork().execute(query, params);

  async function scim(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, as = caller()) {
    const { service } = harness();
    return service.app.inject({
      method,
      url,
      headers: { ...(await service.as(as)), ...(body !== undefined && { 'content-type': SCIM_MEDIA_TYPE }) },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
  }

  /** A directory row of `organizationId` (its mapping as stored: `{group, role}` rules). */
  async function insertDirectory(
    organizationId: string,
    options: { name?: string; roleMapping?: Array<{ group: string; role: string }> } = {},
  ): Promise<string> {
    const id = newId();
    await sql(
      `insert into directories (id, organization_id, name, default_role, role_mapping, created_at, updated_at)
       values (?, ?, ?, 'member', ?, now(), now())`,
      [id, organizationId, options.name ?? 'Okta', JSON.stringify(options.roleMapping ?? [])],
    );
    return id;
  }

  /** A domain of the organization, verified (or claimed only, with `verified: false`). */
  async function insertDomain(organizationId: string, domain: string, verified = true): Promise<void> {
    await sql(
      `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
       values (?, ?, ?, 'token', ${verified ? 'now()' : 'null'}, now())`,
      [newId(), organizationId, domain],
    );
  }

  return { sql, scim, insertDirectory, insertDomain };
}
