import { Migration } from '@mikro-orm/migrations';

export class Migration20261201000000_credential_lineage extends Migration {
  override async up(): Promise<void> {
    // A key created by a key is its delegation: it goes when its parent goes. Existing keys have none.
    this.addSql(
      'alter table api_keys add column parent_key_id varchar(29) null references api_keys (id) on delete cascade',
    );
    this.addSql('create index api_keys_parent_idx on api_keys (parent_key_id) where parent_key_id is not null');
    // An app registered with a pinned key is pinned; its secret stands only while the key that minted it does.
    // No foreign key on purpose: a deleted key must leave its id behind, so the secret stays dead.
    this.addSql('alter table oauth_apps add column organization_id varchar(26) null');
    this.addSql('alter table oauth_apps add column registered_by_key_id varchar(29) null');
    this.addSql(
      'create index oauth_apps_registered_by_key_idx on oauth_apps (registered_by_key_id) where registered_by_key_id is not null',
    );
  }
}
