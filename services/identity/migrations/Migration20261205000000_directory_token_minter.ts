import { Migration } from '@mikro-orm/migrations';

/**
 * Who minted each SCIM token, so recovering that person's account ends the tokens they minted. Tokens
 * minted before are left unattributed (null): nothing tells whose they were. No foreign key, as for
 * directories.created_by_user_id: a deleted account's tokens were ended by its recovery reach first.
 */
export class Migration20261205000000_directory_token_minter extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table directory_tokens
      add column created_by_user_id varchar(26) null`);
    this.addSql(`create index directory_tokens_created_by_idx on directory_tokens (created_by_user_id)
      where created_by_user_id is not null`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table directory_tokens drop column if exists created_by_user_id');
  }
}
