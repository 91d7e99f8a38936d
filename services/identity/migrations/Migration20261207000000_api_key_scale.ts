import { Migration } from '@mikro-orm/migrations';

/**
 * A user with 500 API keys costs what a page of them costs (issue #21, bench/api-keys-plan.ts):
 * - every order the keys list offers walks an index of (user, sort field, id), as created_at already
 *   did: by name, and by last use (the last-use writes, at most one per key every few seconds, now
 *   update this index too);
 * - the per-user cap counts the live keys from an index of the enabled ones alone, expiry included,
 *   without reading a key's row.
 */
export class Migration20261207000000_api_key_scale extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index api_keys_user_name_idx on api_keys (user_id, name, id)');
    this.addSql('create index api_keys_user_last_used_idx on api_keys (user_id, last_used_at, id)');
    this.addSql('create index api_keys_user_enabled_idx on api_keys (user_id, expires_at) where enabled');
  }
}
