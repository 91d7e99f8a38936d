import { EntitySchema } from '@mikro-orm/postgresql';

/** An organization's security settings; no row means the defaults (MFA not required). */
export interface OrganizationSecurity {
  organizationId: string;
  mfaRequired: boolean;
  updatedAt: Date;
  /** The user who last changed them. */
  updatedBy: string;
}

export const OrganizationSecuritySchema = new EntitySchema<OrganizationSecurity>({
  name: 'OrganizationSecurity',
  tableName: 'organization_security',
  properties: {
    organizationId: { type: 'string', primary: true },
    mfaRequired: { type: 'boolean' },
    updatedAt: { type: 'Date' },
    updatedBy: { type: 'string' },
  },
});
