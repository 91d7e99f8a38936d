import type { MigrationObject } from '@mikro-orm/postgresql';
import { Migration20261128000000_initial } from './Migration20261128000000_initial.js';
import { Migration20261203000000_directory_mfa } from './Migration20261203000000_directory_mfa.js';
import { Migration20261203120000_entitlements } from './Migration20261203120000_entitlements.js';
import { Migration20261207000000_member_scale } from './Migration20261207000000_member_scale.js';

/** Checked-in migrations, applied in this order at start. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261128000000_initial', class: Migration20261128000000_initial },
  { name: 'Migration20261203000000_directory_mfa', class: Migration20261203000000_directory_mfa },
  { name: 'Migration20261203120000_entitlements', class: Migration20261203120000_entitlements },
  { name: 'Migration20261207000000_member_scale', class: Migration20261207000000_member_scale },
];
