import { Migration } from '@mikro-orm/migrations';

export class Migration20261201120000_sso extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table organization_domains (
      id varchar(26) primary key,
      organization_id varchar(26) not null,
      domain varchar(253) not null,
      verification_token varchar(64) not null,
      verified_at timestamptz null,
      created_at timestamptz not null,
      unique (organization_id, domain)
    )`);
    // One organization owns a verified domain; this index is what makes two verifications race-safe.
    this.addSql(
      'create unique index organization_domains_verified_idx on organization_domains (domain) where verified_at is not null',
    );
    this.addSql(`create table sso_connections (
      id varchar(26) primary key,
      organization_id varchar(26) not null,
      type varchar(8) not null check (type in ('saml', 'oidc')),
      name varchar(100) not null,
      enabled boolean not null default true,
      domains text[] not null,
      default_role varchar(16) not null default 'member',
      role_mapping jsonb not null default '[]',
      sso_required boolean not null default false,
      allow_idp_initiated boolean not null default false,
      saml_idp_entity_id text null,
      saml_idp_sso_url text null,
      saml_idp_certificates jsonb not null default '[]',
      oidc_issuer text null,
      oidc_client_id text null,
      oidc_client_secret text null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version int not null
    )`);
    this.addSql('create index sso_connections_organization_idx on sso_connections (organization_id, created_at, id)');
    this.addSql('create index sso_connections_domains_idx on sso_connections using gin (domains)');
    // Accounts are linked by (connection, IdP subject), never by email alone.
    this.addSql(`create table sso_identities (
      connection_id varchar(26) not null references sso_connections (id) on delete cascade,
      subject text not null,
      user_id varchar(26) not null references users (id) on delete cascade,
      created_at timestamptz not null,
      last_sign_in_at timestamptz not null,
      primary key (connection_id, subject)
    )`);
    this.addSql('create index sso_identities_user_idx on sso_identities (user_id)');
    this.addSql(`create table sso_login_requests (
      id varchar(26) primary key,
      state_hash char(64) not null unique,
      connection_id varchar(26) not null references sso_connections (id) on delete cascade,
      saml_request_id text null,
      oidc_code_verifier text null,
      oidc_nonce text null,
      return_to text not null,
      expires_at timestamptz not null,
      used_at timestamptz null
    )`);
    this.addSql('create index sso_login_requests_expiry_idx on sso_login_requests (expires_at)');
    this.addSql(`create table saml_assertion_replays (
      connection_id varchar(26) not null,
      assertion_id text not null,
      expires_at timestamptz not null,
      primary key (connection_id, assertion_id)
    )`);
    this.addSql('create index saml_assertion_replays_expiry_idx on saml_assertion_replays (expires_at)');
    // The connection a session came through (null for password and other sign-ins), for ssoRequired.
    this.addSql('alter table sessions add column sso_connection_id varchar(26) null');
  }
}
