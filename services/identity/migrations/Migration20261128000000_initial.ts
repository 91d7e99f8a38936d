import { KIT_TABLES_SQL, MAIL_OUTBOX_TABLE_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql(`create table users (
      id varchar(26) primary key,
      email varchar(254) not null unique,
      password_hash text not null,
      full_name varchar(100) not null,
      handle varchar(30) not null unique,
      is_verified boolean not null default false,
      verified_at timestamptz null,
      is_active boolean not null default true,
      last_login_at timestamptz null,
      role varchar(10) not null default 'user',
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql(`create table sessions (
      id varchar(26) primary key,
      user_id varchar(26) not null references users (id) on delete cascade,
      token_hash char(64) not null unique,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null,
      absolute_expires_at timestamptz not null,
      ip varchar(64) null,
      user_agent varchar(512) null,
      revoked_at timestamptz null
    )`);
    this.addSql('create index sessions_user_idx on sessions (user_id)');
    this.addSql(`create table login_events (
      id varchar(26) primary key,
      user_id varchar(26) not null references users (id) on delete cascade,
      at timestamptz not null,
      ip varchar(64) null,
      user_agent varchar(512) null,
      method varchar(20) not null,
      success boolean not null,
      failure_reason varchar(40) null
    )`);
    this.addSql('create index login_events_user_idx on login_events (user_id, at desc)');
    this.addSql(`create table one_time_tokens (
      id varchar(26) primary key,
      user_id varchar(26) not null references users (id) on delete cascade,
      purpose varchar(20) not null,
      token_hash char(64) not null unique,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz null
    )`);
    this.addSql('create index one_time_tokens_user_idx on one_time_tokens (user_id, purpose)');
    this.addSql(`create table api_keys (
      id varchar(29) primary key,
      user_id varchar(26) not null references users (id) on delete cascade,
      name varchar(100) not null,
      key_hash char(64) not null unique,
      start varchar(16) not null,
      scopes jsonb not null,
      organization_id varchar(26) null,
      enabled boolean not null default true,
      expires_at timestamptz null,
      last_used_at timestamptz null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql('create index api_keys_user_idx on api_keys (user_id, created_at, id)');
    for (const sql of MAIL_OUTBOX_TABLE_SQL) this.addSql(sql);
    this.addSql(`create table user_memberships (
      organization_id varchar(26) not null,
      user_id varchar(26) not null,
      role varchar(10) not null,
      primary key (organization_id, user_id)
    )`);
    this.addSql('create index user_memberships_user_idx on user_memberships (user_id)');
  }
}
