import { Migration } from '@mikro-orm/migrations';

export class Migration20261128120000_oauth extends Migration {
  override async up(): Promise<void> {
    // Third-party applications; `id` is the OAuth client_id. Registered ones have no owner.
    this.addSql(`create table oauth_apps (
      id varchar(40) primary key,
      owner_user_id varchar(26) null references users (id) on delete cascade,
      name varchar(100) not null,
      client_type varchar(12) not null check (client_type in ('public', 'confidential')),
      redirect_uris jsonb not null,
      allowed_scopes jsonb not null,
      secret_hash char(64) null,
      secret_start varchar(16) null,
      token_auth_method varchar(30) not null,
      registered boolean not null default false,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql('create index oauth_apps_owner_idx on oauth_apps (owner_user_id, created_at, id)');
    // oidc-provider's models (grants, codes, refresh tokens, sessions, interactions...), one row each.
    this.addSql(`create table oidc_payloads (
      model varchar(40) not null,
      id varchar(100) not null,
      payload jsonb not null,
      grant_id varchar(100) null,
      uid varchar(100) null,
      user_code varchar(100) null,
      account_id varchar(26) null,
      client_id varchar(40) null,
      created_at timestamptz not null default now(),
      expires_at timestamptz null,
      consumed_at timestamptz null,
      primary key (model, id)
    )`);
    this.addSql('create index oidc_payloads_grant_idx on oidc_payloads (grant_id) where grant_id is not null');
    this.addSql('create index oidc_payloads_uid_idx on oidc_payloads (model, uid) where uid is not null');
    this.addSql(
      'create index oidc_payloads_user_code_idx on oidc_payloads (model, user_code) where user_code is not null',
    );
    this.addSql(
      'create index oidc_payloads_account_idx on oidc_payloads (model, account_id) where account_id is not null',
    );
    this.addSql('create index oidc_payloads_client_idx on oidc_payloads (client_id) where client_id is not null');
    this.addSql('create index oidc_payloads_expiry_idx on oidc_payloads (expires_at)');
  }
}
