import { Migration } from '@mikro-orm/migrations';

export class Migration20261128130000_oauth_secret_changed extends Migration {
  override async up(): Promise<void> {
    // When an app's secret was last issued: client-credentials tokens from before it stop working.
    this.addSql('alter table oauth_apps add column secret_changed_at timestamptz null');
  }
}
