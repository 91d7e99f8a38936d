import type { MfaFactor } from '@gatehouse/contracts';
import { queryRows } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { factorsOf } from '../factors/status.js';
import { SSO_REQUIRING_ORGANIZATION, ssoRequiringParams } from '../sso-policy/policy.js';
import type { User } from '../users/entities.js';
import { normalizeEmail } from '../users/queries.js';
import { ORGANIZATION_COUNT, USER_COLUMNS, type UserRow, userFromRow } from '../users/view.js';

/** What a password sign-in needs to know before it decides, all read before the hash is checked. */
export interface SignInCandidate {
  /** The account of the address, or null (the dummy hash is checked then). */
  user: User | null;
  /** Its organizations, for the answer's user (identity's membership read model). */
  organizationCount: number;
  /** The organization requiring SSO for the address's domain, or null (sso-policy/policy.ts). */
  ssoOrganizationId: string | null;
  /** The account owns that organization (the break-glass exemption; it counts only with the right password). */
  ownsSsoOrganization: boolean;
}

type CandidateRow = Partial<UserRow> & {
  organization_count: number | null;
  sso_organization_id: string | null;
  owns_sso_organization: boolean | null;
};

/**
 * One statement for every address, known or not, so an unknown email costs what a known one does: the
 * account by email, its organization count, and the SSO requirement of the domain with the owner
 * exemption (before: a findOne through the ORM, the SSO query after the hash and a count after the session).
 */
export async function signInCandidate(em: EntityManager, email: string): Promise<SignInCandidate> {
  // On a pool connection of its own, without MikroORM's and knex's per-query layers (queryRows).
  const [row] = await queryRows<CandidateRow>(
    em,
    `select ${USER_COLUMNS}, ${ORGANIZATION_COUNT} as organization_count,
            s.organization_id as sso_organization_id,
            exists (select 1 from user_memberships m
                     where m.organization_id = s.organization_id and m.user_id = u.id and m.role = 'owner')
              as owns_sso_organization
       from (select 1) as one
       left join users u on u.email = ?
       left join lateral (${SSO_REQUIRING_ORGANIZATION}) s on true`,
    [normalizeEmail(email), ...ssoRequiringParams(email)],
  );
  const found = row?.id ? userFromRow(row as UserRow) : null;
  return {
    user: found,
    organizationCount: found ? (row?.organization_count ?? 0) : 0,
    ssoOrganizationId: row?.sso_organization_id ?? null,
    ownsSsoOrganization: Boolean(found && row?.owns_sso_organization),
  };
}

/**
 * In a sign-in's transaction, before it ends in a session or a challenge: the account's second factors
 * (none asked when `withFactors` is false: the IdP asserted MFA). The user row itself is not read here:
 * openSession's one statement updates it and answers it (sign-in-writes.ts); a user the transaction
 * already holds (SSO's just-provisioned account, a magic link's) is kept as it is.
 */
export async function loadUserForSignIn(em: EntityManager, userId: string, withFactors: boolean): Promise<MfaFactor[]> {
  return withFactors ? factorsOf(em, userId) : [];
}
