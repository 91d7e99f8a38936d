import type { MigrationObject } from '@mikro-orm/postgresql';
import { Migration20261128000000_initial } from './Migration20261128000000_initial.js';
import { Migration20261128120000_oauth } from './Migration20261128120000_oauth.js';
import { Migration20261128130000_oauth_secret_changed } from './Migration20261128130000_oauth_secret_changed.js';
import { Migration20261201000000_credential_lineage } from './Migration20261201000000_credential_lineage.js';
import { Migration20261201120000_sso } from './Migration20261201120000_sso.js';
import { Migration20261202000000_domain_recheck } from './Migration20261202000000_domain_recheck.js';
import { Migration20261203000000_mfa } from './Migration20261203000000_mfa.js';
import { Migration20261204000000_scim } from './Migration20261204000000_scim.js';
import { Migration20261205000000_directory_token_minter } from './Migration20261205000000_directory_token_minter.js';
import { Migration20261206000000_entitlements } from './Migration20261206000000_entitlements.js';
import { Migration20261207000000_api_key_scale } from './Migration20261207000000_api_key_scale.js';

/** Checked-in migrations, applied in this order at start. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261128000000_initial', class: Migration20261128000000_initial },
  { name: 'Migration20261128120000_oauth', class: Migration20261128120000_oauth },
  { name: 'Migration20261128130000_oauth_secret_changed', class: Migration20261128130000_oauth_secret_changed },
  { name: 'Migration20261201000000_credential_lineage', class: Migration20261201000000_credential_lineage },
  { name: 'Migration20261201120000_sso', class: Migration20261201120000_sso },
  { name: 'Migration20261202000000_domain_recheck', class: Migration20261202000000_domain_recheck },
  { name: 'Migration20261203000000_mfa', class: Migration20261203000000_mfa },
  { name: 'Migration20261204000000_scim', class: Migration20261204000000_scim },
  {
    name: 'Migration20261205000000_directory_token_minter',
    class: Migration20261205000000_directory_token_minter,
  },
  { name: 'Migration20261206000000_entitlements', class: Migration20261206000000_entitlements },
  { name: 'Migration20261207000000_api_key_scale', class: Migration20261207000000_api_key_scale },
];
