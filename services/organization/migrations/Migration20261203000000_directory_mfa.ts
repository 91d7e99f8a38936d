import { Migration } from '@mikro-orm/migrations';

/** The members list shows who has a second factor, from identity's `user.security_changed` events. */
export class Migration20261203000000_directory_mfa extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table directory_users add column mfa_enabled boolean not null default false');
  }
}
