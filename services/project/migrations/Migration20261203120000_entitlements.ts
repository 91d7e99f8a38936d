import { ENTITLEMENTS_TABLE_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

/** What each organization's plan allows (billing's entitlements events), for the project limit. */
export class Migration20261203120000_entitlements extends Migration {
  override async up(): Promise<void> {
    this.addSql(ENTITLEMENTS_TABLE_SQL);
  }
}
