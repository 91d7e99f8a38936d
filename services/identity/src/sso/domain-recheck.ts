import type { Resolver } from 'node:dns/promises';
import type { Logger } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { lookupTxt } from './dns.js';
import { recordDomainActivity, verificationRecord } from './domains.js';
import { type OrganizationDomain, OrganizationDomainSchema } from './entities.js';

/** Re-checks in a row that find no record before a domain stops being verified (one bad day is not enough). */
export const DOMAIN_RECHECK_FAILURES = 3;
/** Domains looked at per pass: the pass repeats, so a long list is walked a batch at a time. */
const BATCH = 100;

export interface RecheckOptions {
  /** Domains checked after this are left alone this pass. */
  checkedBefore: Date;
  now?: Date;
}

/**
 * A domain proven once may change hands, or its owner may take the record down: verified domains are
 * looked up again, and one whose record is gone for DOMAIN_RECHECK_FAILURES checks in a row is
 * unverified, so it routes nobody and links nobody any more, and another organization may prove it.
 * A lookup that got no answer (DNS away) counts for nothing either way. Answers how many were checked.
 */
export async function recheckVerifiedDomains(
  rootEm: EntityManager,
  resolver: Resolver,
  logger: Logger,
  options: RecheckOptions,
): Promise<number> {
  const em = rootEm.fork();
  const due = await em.find(
    OrganizationDomainSchema,
    { verifiedAt: { $ne: null }, $or: [{ checkedAt: null }, { checkedAt: { $lt: options.checkedBefore } }] },
    { orderBy: { checkedAt: 'asc', id: 'asc' }, limit: BATCH },
  );
  for (const domain of due) await recheck(em, resolver, logger, domain, options.now ?? new Date());
  return due.length;
}

async function recheck(em: EntityManager, resolver: Resolver, logger: Logger, domain: OrganizationDomain, now: Date) {
  const record = verificationRecord(domain);
  const found = await lookupTxt(resolver, record.name);
  const changes: Partial<OrganizationDomain> = { checkedAt: now };
  if ('records' in found && found.records.includes(record.value)) {
    changes.failedChecks = 0;
  } else if (!('failure' in found && found.failure === 'unanswered')) {
    const failures = domain.failedChecks + 1;
    changes.failedChecks = failures >= DOMAIN_RECHECK_FAILURES ? 0 : failures;
    if (failures >= DOMAIN_RECHECK_FAILURES) {
      changes.verifiedAt = null;
      logger.warn(
        { domainId: domain.id, organizationId: domain.organizationId, domain: domain.domain },
        'domain unverified: its TXT record is gone',
      );
    }
  }
  // Only if it is still the verification that was read (a delete or a re-verify in between wins); an
  // unverification is in the organization's audit log, by the system, with the change it describes.
  await em.transactional(async (tx) => {
    const updated = await tx.nativeUpdate(
      OrganizationDomainSchema,
      { id: domain.id, verifiedAt: domain.verifiedAt },
      changes,
    );
    if (updated === 1 && changes.verifiedAt === null) recordDomainActivity(tx, 'sso_domain.unverified', domain);
  });
}
