import { Migration } from '@mikro-orm/migrations';

/** Verified domains are re-checked: when each was last looked at, and how many checks in a row failed. */
export class Migration20261202000000_domain_recheck extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table organization_domains
      add column checked_at timestamptz null,
      add column failed_checks integer not null default 0`);
  }
}
