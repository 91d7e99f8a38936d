import type { Resolver } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import { AppError, conflict, EVENT_SUBJECTS, newId, notFound, validationError } from '@gatehouse/contracts';
import { findPage, type PageRequest, randomSecret, recordActivity, type TenantAccess } from '@gatehouse/service-kit';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { lookupTxt } from './dns.js';
import { type OrganizationDomain, OrganizationDomainSchema } from './entities.js';

const CHALLENGE_PREFIX = '_gatehouse-challenge';
const VALUE_PREFIX = 'gatehouse-domain-verification=';
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-case ASCII (IDN → punycode), no trailing dot; null when it is not a registrable-looking host name. */
export function normalizeDomain(input: string): string | null {
  const ascii = domainToASCII(input.trim().toLowerCase().replace(/\.$/, ''));
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  // A top-level label is never all digits: this refuses IPv4 addresses.
  return /^[0-9]+$/.test(labels.at(-1)!) ? null : ascii;
}

/**
 * An address an IdP or a directory sends, in the one spelling we look up, link and store: exactly one
 * `@`, a non-empty local part without spaces, the domain normalised as verified domains are. So
 * `x@victim.com@acme.com` does not count for acme.com, nor is `bob@acme.com.` a second bob. Null otherwise.
 */
export function normalizeAddress(raw: string): string | null {
  const parts = raw.trim().split('@');
  if (parts.length !== 2) return null;
  const [local, domain] = parts as [string, string];
  if (!local || /\s/.test(local)) return null;
  const normalized = normalizeDomain(domain);
  return normalized ? `${local.toLowerCase()}@${normalized}` : null;
}

/** The record an organization publishes to prove it holds the domain. */
export function verificationRecord(domain: OrganizationDomain) {
  return {
    type: 'TXT' as const,
    name: `${CHALLENGE_PREFIX}.${domain.domain}`,
    value: `${VALUE_PREFIX}${domain.verificationToken}`,
  };
}

export function presentDomain(domain: OrganizationDomain) {
  return {
    id: domain.id,
    organizationId: domain.organizationId,
    domain: domain.domain,
    verified: domain.verifiedAt !== null,
    verifiedAt: domain.verifiedAt?.toISOString() ?? null,
    verification: verificationRecord(domain),
    createdAt: domain.createdAt.toISOString(),
  };
}

/** The organization's log, in the caller's transaction. */
export function recordDomainActivity(
  em: EntityManager,
  action: 'sso_domain.added' | 'sso_domain.verified' | 'sso_domain.unverified' | 'sso_domain.removed',
  domain: OrganizationDomain,
): void {
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action,
    organizationId: domain.organizationId,
    userId: null,
    target: { type: 'sso_domain', id: domain.id, name: domain.domain },
  });
}

const domainTaken = () =>
  conflict('DOMAIN_TAKEN', 'Another organization has verified this domain; it cannot be claimed here');

async function verifiedElsewhere(em: EntityManager, organizationId: string, domain: string): Promise<boolean> {
  const owner = await em.findOne(OrganizationDomainSchema, {
    domain,
    verifiedAt: { $ne: null },
    organizationId: { $ne: organizationId },
  });
  return owner !== null;
}

export async function addDomain(ctx: IdentityContext, tenant: TenantAccess, input: string) {
  const domain = normalizeDomain(input);
  if (!domain) {
    throw validationError([{ field: 'domain', error: 'must be a domain name like example.com', location: 'body' }]);
  }
  try {
    return presentDomain(
      await commit(ctx, async (em) => {
        if (await verifiedElsewhere(em, tenant.organizationId, domain)) throw domainTaken();
        const row: OrganizationDomain = {
          id: newId(),
          organizationId: tenant.organizationId,
          domain,
          verificationToken: randomSecret(32),
          verifiedAt: null,
          checkedAt: null,
          failedChecks: 0,
          createdAt: new Date(),
        };
        em.create(OrganizationDomainSchema, row);
        recordDomainActivity(em, 'sso_domain.added', row);
        return row;
      }),
    );
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict('DOMAIN_EXISTS', 'This organization has already added this domain');
    }
    throw error;
  }
}

export async function listDomains(ctx: IdentityContext, tenant: TenantAccess, query: PageRequest) {
  const page = await findPage(readEm(ctx), OrganizationDomainSchema, { organizationId: tenant.organizationId }, query, {
    sortable: { createdAt: 'date', domain: 'string' },
    defaultSort: 'createdAt',
  });
  return { items: page.items.map(presentDomain), meta: page.meta };
}

async function domainOf(em: EntityManager, tenant: TenantAccess, domainId: string): Promise<OrganizationDomain> {
  const domain = await em.findOne(OrganizationDomainSchema, { id: domainId, organizationId: tenant.organizationId });
  if (!domain) throw notFound('Domain not found');
  return domain;
}

/** Looks the TXT record up; only the exact value marks the domain verified. */
export async function verifyDomain(ctx: IdentityContext, resolver: Resolver, tenant: TenantAccess, domainId: string) {
  const domain = await domainOf(readEm(ctx), tenant, domainId);
  if (domain.verifiedAt) return presentDomain(domain);
  const record = verificationRecord(domain);
  const found = await lookupTxt(resolver, record.name);
  if ('failure' in found && found.failure === 'unanswered') {
    throw new AppError('CONFLICT', `The DNS lookup of ${record.name} got no answer (${found.detail}); try again`, {
      reason: 'DNS_LOOKUP_FAILED',
    });
  }
  const records = 'records' in found ? found.records : [];
  if (!records.includes(record.value)) {
    throw new AppError('CONFLICT', `No TXT record ${record.name} with the value ${record.value} was found`, {
      reason: 'DOMAIN_NOT_VERIFIED',
      expected: record,
      found: records.filter((value) => value.startsWith(VALUE_PREFIX)),
    });
  }
  return presentDomain(await markVerified(ctx, tenant, domainId));
}

/** The partial unique index on verified domains decides a race between two organizations. */
async function markVerified(ctx: IdentityContext, tenant: TenantAccess, domainId: string) {
  try {
    return await commit(ctx, async (em) => {
      const domain = await domainOf(em, tenant, domainId);
      if (await verifiedElsewhere(em, tenant.organizationId, domain.domain)) throw domainTaken();
      if (!domain.verifiedAt) {
        domain.verifiedAt = new Date();
        recordDomainActivity(em, 'sso_domain.verified', domain);
      }
      return domain;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw domainTaken();
    throw error;
  }
}

export async function deleteDomain(ctx: IdentityContext, tenant: TenantAccess, domainId: string) {
  await commit(ctx, async (em) => {
    const domain = await domainOf(em, tenant, domainId);
    const serving: Array<{ id: string; name: string }> = await em.execute(
      'select id, name from sso_connections where organization_id = ? and ? = any (domains) for update',
      [tenant.organizationId, domain.domain],
    );
    if (serving.length > 0) {
      throw new AppError('CONFLICT', `A connection serves this domain: ${serving.map((c) => c.name).join(', ')}`, {
        reason: 'DOMAIN_IN_USE',
        connectionIds: serving.map((connection) => connection.id),
      });
    }
    em.remove(domain);
    recordDomainActivity(em, 'sso_domain.removed', domain);
  });
}

/** The domains of `domains` this organization has not added, for the connection's validation. */
export async function unknownDomains(em: EntityManager, organizationId: string, domains: string[]): Promise<string[]> {
  if (domains.length === 0) return [];
  const rows = await em.find(OrganizationDomainSchema, { organizationId, domain: { $in: domains } });
  const known = new Set(rows.map((row) => row.domain));
  return domains.filter((domain) => !known.has(domain));
}
