import type { EntityManager } from '@mikro-orm/postgresql';
import { ScimError } from '../scim/protocol.js';
import { OrganizationDomainSchema } from '../sso/entities.js';
import { emailDomain } from '../users/queries.js';

/**
 * A directory speaks only for addresses its organization proved by DNS: otherwise it could plant an
 * account (or take one over) under someone else's address.
 */
export async function requireVerifiedDomain(em: EntityManager, organizationId: string, email: string): Promise<void> {
  const proven = await em.findOne(OrganizationDomainSchema, {
    organizationId,
    domain: emailDomain(email),
    verifiedAt: { $ne: null },
  });
  if (!proven) {
    throw new ScimError(
      400,
      `emails: ${emailDomain(email)} is not a domain this organization has verified`,
      'invalidValue',
    );
  }
}
