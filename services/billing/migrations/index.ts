import type { MigrationObject } from '@mikro-orm/postgresql';
import { Migration20261215000000_initial } from './Migration20261215000000_initial.js';

/** Checked-in migrations, applied in this order at start. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261215000000_initial', class: Migration20261215000000_initial },
];
