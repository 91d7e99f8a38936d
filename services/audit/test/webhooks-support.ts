import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthenticatedPrincipal, newId, TOKEN_SCOPES } from '@gatehouse/contracts';
import type { AuditHarness } from './harness.js';

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
export type SqlRows = any[];

export function sqlOf(audit: AuditHarness) {
  return (query: string, params: unknown[] = []): Promise<SqlRows> =>
    audit.service.deps.orm.em.fork().execute(query, params);
}

export function principalFor(userId: string): AuthenticatedPrincipal {
  return {
    kind: 'session',
    userId,
    credentialId: newId(),
    scopes: [...TOKEN_SCOPES],
    role: 'user',
    organizationId: null,
  };
}

/** A person with a role in the organization, written into audit's membership read model. */
export async function memberOf(
  audit: AuditHarness,
  organizationId: string,
  role: 'owner' | 'admin' | 'member',
): Promise<AuthenticatedPrincipal> {
  const userId = newId();
  await sqlOf(audit)('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [
    organizationId,
    userId,
    role,
  ]);
  return principalFor(userId);
}

export function caller(audit: AuditHarness) {
  return async (as: AuthenticatedPrincipal, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    audit.service.app.inject({
      method,
      url,
      headers: await audit.service.as(as),
      ...(body !== undefined && { payload: body as object }),
    });
}

/** A receiver on loopback answering 204, so whatever the delivery worker sends succeeds and nothing is disabled. */
export async function startReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
