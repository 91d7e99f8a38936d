import { Migration } from '@mikro-orm/migrations';

/**
 * An organization of 50,000 members costs what a page of it costs (issue #21, bench/members-plan.ts):
 * - the owners, found without reading the members (the last-owner rule, an heir's check): a partial
 *   index holds only them, and carries the id so "another owner" is answered from the index alone;
 * - `q` on the members list (name or email, any substring) from trigram indexes on the directory,
 *   so a rare match is found without walking every member in join order.
 */
export class Migration20261207000000_member_scale extends Migration {
  override async up(): Promise<void> {
    this.addSql("create index members_owners_idx on members (organization_id, id) where role = 'owner'");
    this.addSql('create extension if not exists pg_trgm');
    this.addSql('create index directory_users_name_trgm_idx on directory_users using gin (name gin_trgm_ops)');
    this.addSql('create index directory_users_email_trgm_idx on directory_users using gin (email gin_trgm_ops)');
  }
}
