import { ENTITLEMENTS_TABLE_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

/** What each organization's plan allows (billing's entitlements events): when it turns read-only. */
export class Migration20261206000000_entitlements extends Migration {
  override async up(): Promise<void> {
    this.addSql(ENTITLEMENTS_TABLE_SQL);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists organization_entitlements');
  }
}
