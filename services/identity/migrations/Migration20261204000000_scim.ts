import { Migration } from '@mikro-orm/migrations';

/**
 * SCIM 2.0 directory sync (docs/scim.md): an organization's directories, their bearer tokens (hashes
 * only), and the users and groups each directory provisioned. A SCIM user points at the Gatehouse
 * account it created or linked; unique names are per directory and ignore deleted (tombstoned) users.
 */
export class Migration20261204000000_scim extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table directories (
      id varchar(26) primary key,
      organization_id varchar(26) not null,
      name varchar(100) not null,
      default_role varchar(16) not null,
      role_mapping jsonb not null default '[]',
      created_by_user_id varchar(26) null,
      last_sync_at timestamptz null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      deleted_at timestamptz null
    )`);
    this.addSql('create index directories_organization_idx on directories (organization_id, created_at, id)');
    // One live directory per organization (two would each decide the same people's roles and accounts).
    this.addSql(
      'create unique index directories_live_organization_key on directories (organization_id) where deleted_at is null',
    );
    // A token is live while expires_at is null or in the future; rotation sets the previous one's end.
    this.addSql(`create table directory_tokens (
      id varchar(26) primary key,
      directory_id varchar(26) not null references directories (id) on delete cascade,
      token_hash varchar(64) not null unique,
      token_start varchar(16) not null,
      created_at timestamptz not null,
      expires_at timestamptz null
    )`);
    this.addSql('create index directory_tokens_directory_idx on directory_tokens (directory_id, created_at)');
    this.addSql(`create table scim_users (
      id varchar(26) primary key,
      directory_id varchar(26) not null references directories (id) on delete cascade,
      user_id varchar(26) not null references users (id) on delete cascade,
      user_name varchar(254) not null,
      external_id varchar(255) null,
      active boolean not null,
      display_name varchar(1024) null,
      given_name varchar(1024) null,
      family_name varchar(1024) null,
      email varchar(254) not null,
      resource jsonb not null,
      owns_account boolean not null,
      role varchar(16) null,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      deleted_at timestamptz null
    )`);
    this.addSql(
      'create unique index scim_users_user_name_key on scim_users (directory_id, lower(user_name)) where deleted_at is null',
    );
    this.addSql(
      'create unique index scim_users_external_id_key on scim_users (directory_id, external_id) where deleted_at is null and external_id is not null',
    );
    this.addSql(
      'create unique index scim_users_account_key on scim_users (directory_id, user_id) where deleted_at is null',
    );
    this.addSql('create index scim_users_email_idx on scim_users (directory_id, lower(email))');
    this.addSql('create index scim_users_page_idx on scim_users (directory_id, created_at, id)');
    this.addSql('create index scim_users_account_idx on scim_users (user_id)');
    this.addSql('create index scim_users_tombstone_idx on scim_users (deleted_at) where deleted_at is not null');
    this.addSql(`create table scim_groups (
      id varchar(26) primary key,
      directory_id varchar(26) not null references directories (id) on delete cascade,
      display_name varchar(256) not null,
      external_id varchar(255) null,
      resource jsonb not null,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql('create unique index scim_groups_display_name_key on scim_groups (directory_id, lower(display_name))');
    this.addSql(
      'create unique index scim_groups_external_id_key on scim_groups (directory_id, external_id) where external_id is not null',
    );
    this.addSql('create index scim_groups_page_idx on scim_groups (directory_id, created_at, id)');
    this.addSql(`create table scim_group_members (
      group_id varchar(26) not null references scim_groups (id) on delete cascade,
      scim_user_id varchar(26) not null references scim_users (id) on delete cascade,
      primary key (group_id, scim_user_id)
    )`);
    this.addSql('create index scim_group_members_user_idx on scim_group_members (scim_user_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists scim_group_members');
    this.addSql('drop table if exists scim_groups');
    this.addSql('drop table if exists scim_users');
    this.addSql('drop table if exists directory_tokens');
    this.addSql('drop table if exists directories');
  }
}
