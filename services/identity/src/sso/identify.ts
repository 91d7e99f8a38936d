import type { EntityManager } from '@mikro-orm/postgresql';
import { type IdentityContext, readEm } from '../context.js';
import { discoverUrl } from '../sso-policy/policy.js';
import { emailDomain } from '../users/queries.js';
import { OrganizationDomainSchema, type SsoConnection, SsoConnectionSchema } from './entities.js';
import { checkReturnTo } from './return-to.js';

/** Does the connection serve this address's domain, and has its organization proven that domain by DNS? */
export async function isDomainVerifiedFor(em: EntityManager, connection: SsoConnection, email: string) {
  const domain = emailDomain(email);
  if (!connection.domains.includes(domain)) return false;
  const proven = await em.findOne(OrganizationDomainSchema, {
    organizationId: connection.organizationId,
    domain,
    verifiedAt: { $ne: null },
  });
  return proven !== null;
}

/**
 * The enabled connection that signs this address in: one whose domains include the address's domain,
 * of the one organization that verified that domain. Null otherwise (password), whether or not an
 * account exists, so the answer tells nothing about accounts.
 */
export async function connectionForEmail(em: EntityManager, email: string): Promise<SsoConnection | null> {
  const domain = emailDomain(email);
  if (!domain) return null;
  const proven = await em.findOne(OrganizationDomainSchema, { domain, verifiedAt: { $ne: null } });
  if (!proven) return null;
  const connections = await em.find(
    SsoConnectionSchema,
    { organizationId: proven.organizationId, enabled: true },
    { orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  return connections.find((connection) => connection.domains.includes(domain)) ?? null;
}

export type IdentifyAnswer =
  | { method: 'password' }
  | { method: 'sso'; ssoProvider: { id: string; name: string; type: 'saml' | 'oidc' }; ssoRedirectUrl: string };

/** POST /api/auth/identify: SSO for a routed address, password for every other (accounts or not). */
export async function identifyEmail(ctx: IdentityContext, email: string, returnTo?: string): Promise<IdentifyAnswer> {
  const target = checkReturnTo(ctx.config, returnTo, 'body');
  const connection = await connectionForEmail(readEm(ctx), email);
  if (!connection) return { method: 'password' };
  const discover = discoverUrl(ctx, email);
  if (returnTo) discover.searchParams.set('returnTo', target);
  return {
    method: 'sso',
    ssoProvider: { id: connection.id, name: connection.name, type: connection.type },
    ssoRedirectUrl: discover.toString(),
  };
}
