import { Migration } from '@mikro-orm/migrations';

/**
 * Second factors (authenticator app, passkeys, recovery codes), the challenges that ask for one,
 * how each session was signed in to, and organizations' MFA policy (docs/mfa.md).
 */
export class Migration20261203000000_mfa extends Migration {
  override async up(): Promise<void> {
    // One authenticator app per account; the secret is sealed with MFA_ENCRYPTION_KEY (sealing/keyring.ts).
    this.addSql(`create table mfa_totp (
      user_id varchar(26) primary key references users (id) on delete cascade,
      secret_sealed text not null,
      confirmed_at timestamptz null,
      last_used_step bigint null,
      last_used_at timestamptz null,
      created_at timestamptz not null
    )`);
    this.addSql(`create table mfa_passkeys (
      id varchar(26) primary key,
      user_id varchar(26) not null references users (id) on delete cascade,
      credential_id text not null unique,
      public_key bytea not null,
      counter bigint not null default 0,
      transports text[] not null default '{}',
      device_type varchar(16) not null,
      backed_up boolean not null,
      aaguid varchar(36) null,
      name varchar(100) not null,
      created_at timestamptz not null,
      last_used_at timestamptz null,
      clone_warned_at timestamptz null
    )`);
    this.addSql('create index mfa_passkeys_user_idx on mfa_passkeys (user_id, created_at, id)');
    this.addSql(`create table mfa_recovery_codes (
      id varchar(26) primary key,
      user_id varchar(26) not null references users (id) on delete cascade,
      code_hash char(64) not null unique,
      created_at timestamptz not null,
      used_at timestamptz null
    )`);
    this.addSql('create index mfa_recovery_codes_user_idx on mfa_recovery_codes (user_id)');
    // A sign-in waiting for its second factor, a step-up, or a WebAuthn ceremony; the handle's secret is hashed.
    this.addSql(`create table mfa_challenges (
      id varchar(26) primary key,
      secret_hash char(64) not null unique,
      user_id varchar(26) null references users (id) on delete cascade,
      purpose varchar(24) not null check (purpose in ('sign_in', 'step_up', 'passkey_registration', 'passkey_sign_in')),
      session_id varchar(26) null,
      first_factor varchar(8) null,
      sso_connection_id varchar(26) null,
      return_to text null,
      interaction_uid text null,
      remember_me boolean not null default true,
      webauthn_challenge text null,
      attempts integer not null default 0,
      ip text null,
      user_agent text null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz null
    )`);
    this.addSql('create index mfa_challenges_expires_idx on mfa_challenges (expires_at)');
    this.addSql(`create table organization_security (
      organization_id varchar(26) primary key,
      mfa_required boolean not null default false,
      updated_at timestamptz not null,
      updated_by varchar(26) not null
    )`);
    this.addSql(
      "alter table sessions add column amr text[] not null default '{pwd}', add column second_factor_at timestamptz null",
    );
    this.addSql("update sessions set amr = '{sso}' where sso_connection_id is not null");
    this.addSql('alter table login_events add column second_factor varchar(16) null');
  }
}
